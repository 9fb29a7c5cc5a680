// Shared helpers of the MQTT.js scenarios run by test_mqtt5_mqttjs.py. Each scenario is a script
// called as `node SCRIPT.mjs HOST PORT UID`; it exits 0 when every check held, or prints why not
// and exits 1. Every wait is bounded, and the whole script is killed after a deadline.
import assert from 'node:assert/strict';
import mqtt from 'mqtt';

export const [host, port, uid] = process.argv.slice(2);
if (!host || !port || !uid) {
  console.error('usage: node SCRIPT.mjs HOST PORT UID');
  process.exit(2);
}

const deadline = setTimeout(() => {
  console.error('scenario did not finish within 20 s');
  process.exit(1);
}, 20000);

// Connects with MQTT 5 and resolves with [client, connack, inbox] once CONNACK arrives. The inbox
// listens from the start: messages of a resumed session can arrive in the same read as CONNACK.
export function connect(clientId, options = {}) {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect({
      host, port: Number(port), clientId, protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000,
      ...options,
    });
    const messages = inbox(client);
    client.once('connect', (connack) => resolve([client, connack, messages]));
    client.once('error', reject);
  });
}

// Collects messages as they arrive; next() resolves with the next {topic, payload, packet}.
function inbox(client) {
  const waiting = [];
  const arrived = [];
  client.on('message', (topic, payload, packet) => {
    const message = { topic, payload: payload.toString(), packet };
    if (waiting.length > 0) waiting.shift()(message);
    else arrived.push(message);
  });
  return {
    next(timeoutMs = 5000) {
      if (arrived.length > 0) return Promise.resolve(arrived.shift());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no message within ' + timeoutMs + ' ms')), timeoutMs);
        waiting.push((message) => { clearTimeout(timer); resolve(message); });
      });
    },
    pending() { return arrived.length; },
  };
}

export const subscribe = (client, topic, options = {}) => client.subscribeAsync(topic, options);
export const publish = (client, topic, payload, options = {}) => client.publishAsync(topic, payload, options);
export const end = (client, force = false) => client.endAsync(force);
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Runs the scenario and turns its outcome into the exit status.
export async function run(scenario) {
  try {
    await scenario(assert);
    clearTimeout(deadline);
    console.log('ok');
    process.exit(0);
  } catch (error) {
    console.error(error && error.stack ? error.stack : String(error));
    process.exit(1);
  }
}
