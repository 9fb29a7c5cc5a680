// MQTT 5 PUBLISH properties pass through the broker untouched (MQTT.js to MQTT.js).
import { connect, publish, run, subscribe, uid } from './common.mjs';

run(async (assert) => {
  const [sub, , messages] = await connect(`${uid}-sub`);
  await subscribe(sub, `${uid}/props`, { qos: 1 });
  const [pub] = await connect(`${uid}-pub`);
  await publish(pub, `${uid}/props`, '{"v":1}', {
    qos: 1,
    properties: {
      payloadFormatIndicator: true,
      contentType: 'application/json',
      responseTopic: `${uid}/reply`,
      correlationData: Buffer.from([0, 1, 2, 255]),
      userProperties: { site: 'plant-7', tags: ['a', 'b'] },
    },
  });
  const { payload, packet } = await messages.next();
  assert.equal(payload, '{"v":1}');
  const p = packet.properties;
  assert.equal(p.payloadFormatIndicator, true);
  assert.equal(p.contentType, 'application/json');
  assert.equal(p.responseTopic, `${uid}/reply`);
  assert.deepEqual([...p.correlationData], [0, 1, 2, 255]);
  assert.deepEqual({ ...p.userProperties }, { site: 'plant-7', tags: ['a', 'b'] });
  await Promise.all([sub.endAsync(), pub.endAsync()]);
});
