// Subscription identifiers: each delivery carries the identifiers of every matching subscription.
import { connect, publish, run, subscribe, uid } from './common.mjs';

const ids = (packet) => [].concat(packet.properties.subscriptionIdentifier).sort((a, b) => a - b);

run(async (assert) => {
  const [sub, , messages] = await connect(`${uid}-sub`);
  await subscribe(sub, `${uid}/ids/+`, { qos: 1, properties: { subscriptionIdentifier: 7 } });
  await subscribe(sub, `${uid}/ids/#`, { qos: 1, properties: { subscriptionIdentifier: 300000 } });
  const [pub] = await connect(`${uid}-pub`);
  await publish(pub, `${uid}/ids/a`, 'both', { qos: 1 });
  await publish(pub, `${uid}/ids/a/b`, 'deep', { qos: 1 });
  const both = await messages.next();
  assert.equal(both.payload, 'both');
  assert.deepEqual(ids(both.packet), [7, 300000]);
  const deep = await messages.next();
  assert.equal(deep.payload, 'deep');
  assert.deepEqual(ids(deep.packet), [300000]);
  await Promise.all([sub.endAsync(), pub.endAsync()]);
});
