// Session expiry: a session with an expiry interval outlives its connection and keeps QoS 1
// messages; one whose interval has passed is gone.
import { connect, end, publish, run, sleep, subscribe, uid } from './common.mjs';

run(async (assert) => {
  const options = { clean: false, properties: { sessionExpiryInterval: 2 } };
  const [first, connack] = await connect(`${uid}-s`, options);
  assert.equal(connack.sessionPresent, false);
  await subscribe(first, `${uid}/session`, { qos: 1 });
  await end(first, true);

  const [pub] = await connect(`${uid}-pub`);
  await publish(pub, `${uid}/session`, 'kept', { qos: 1 });

  const [second, resumed, messages] = await connect(`${uid}-s`, options);
  assert.equal(resumed.sessionPresent, true);
  const { payload } = await messages.next();
  assert.equal(payload, 'kept');
  await end(second, true);

  await sleep(3200);
  const [third, expired] = await connect(`${uid}-s`, options);
  assert.equal(expired.sessionPresent, false, 'session should have expired after 2 s');
  await Promise.all([third.endAsync(), pub.endAsync()]);
});
