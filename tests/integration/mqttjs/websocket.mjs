// MQTT.js over WebSocket (ws://HOST:PORT/mqtt), driven by test_websocket.py: called as
// `node websocket.mjs HOST PORT UID VERSION [wss CA_FILE]` (VERSION 4 = MQTT 3.1.1, 5 = MQTT 5; wss:
// over TLS, the broker's certificate verified against CA_FILE). It subscribes to
// UID/to-js, then publishes UID/from-js, which tells the test's Paho client (on the TCP listener) to
// answer on UID/to-js; then it sends itself a 100 kB message (frames with a 64-bit length, both ways).
import { readFileSync } from 'node:fs';
import { connect, subscribe, publish, end, run, uid } from './common.mjs';

const version = Number(process.argv[5] || 4);
const scheme = process.argv[6] || 'ws';
const tls = scheme === 'wss' ? { ca: readFileSync(process.argv[7]), rejectUnauthorized: true } : {};

run(async (assert) => {
  const [client, connack, inbox] = await connect(`${uid}-js`, { protocol: scheme, path: '/mqtt', protocolVersion: version, ...tls, wsOptions: tls });
  assert.equal(connack.returnCode ?? connack.reasonCode, 0);
  await subscribe(client, `${uid}/to-js`, { qos: 1 });
  await publish(client, `${uid}/from-js`, 'hello from mqtt.js', { qos: 1 });
  const answer = await inbox.next(10000);
  assert.equal(answer.topic, `${uid}/to-js`);
  assert.equal(answer.payload, 'hello from paho');

  const big = 'b'.repeat(100000);
  await subscribe(client, `${uid}/big`, { qos: 1 });
  await publish(client, `${uid}/big`, big, { qos: 1 });
  const echoed = await inbox.next(10000);
  assert.equal(echoed.topic, `${uid}/big`);
  assert.equal(echoed.payload, big);
  await end(client);
});
