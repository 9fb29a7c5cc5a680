// Topic aliases both ways: MQTT.js assigns aliases on its publishes (the broker announced a Topic
// Alias Maximum), and the broker assigns aliases to a subscriber that allows them.
import { connect, publish, run, subscribe, uid } from './common.mjs';

run(async (assert) => {
  const [sub, , messages] = await connect(`${uid}-sub`, { properties: { topicAliasMaximum: 5 } });
  await subscribe(sub, `${uid}/alias/#`, { qos: 1 });
  const [pub, connack] = await connect(`${uid}-pub`, { autoAssignTopicAlias: true });
  assert.ok(connack.properties.topicAliasMaximum > 0, 'broker announces a topic alias maximum');
  for (let i = 0; i < 3; i++) await publish(pub, `${uid}/alias/engine/rpm`, String(i), { qos: 1 });
  // An explicit alias, set with a topic and then used with an empty one.
  await publish(pub, `${uid}/alias/explicit`, 'set', { qos: 1, properties: { topicAlias: 7 } });
  await publish(pub, '', 'used', { qos: 1, properties: { topicAlias: 7 } });
  const got = [];
  for (let i = 0; i < 5; i++) got.push(await messages.next());
  assert.deepEqual(got.map((m) => [m.topic, m.payload]), [
    [`${uid}/alias/engine/rpm`, '0'], [`${uid}/alias/engine/rpm`, '1'], [`${uid}/alias/engine/rpm`, '2'],
    [`${uid}/alias/explicit`, 'set'], [`${uid}/alias/explicit`, 'used'],
  ]);
  // The broker sent aliases: MQTT.js restores the topic but keeps the alias it saw.
  assert.ok(got.every((m) => m.packet.properties && m.packet.properties.topicAlias > 0),
    'every delivery carried a broker-assigned topic alias');
  await Promise.all([sub.endAsync(), pub.endAsync()]);
});
