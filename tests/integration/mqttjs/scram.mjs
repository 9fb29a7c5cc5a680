// SCRAM-SHA-256 enhanced authentication (RFC 5802/7677) with MQTT.js, which carries the method and
// client-first-message in CONNECT and continues the exchange through its client.handleAuth hook.
// Called as `node scram.mjs HOST PORT UID USER PASSWORD`: the right password gets in, and the
// broker's v= in CONNACK is checked; a re-authentication (AUTH 0x19, sent through MQTT.js's internal
// _sendPacket: it has no public call for it) ends in AUTH 0x00 with a correct v=, and the connection
// keeps working; a wrong password is refused with 0x86. The SCRAM client is written here from the
// RFC with node:crypto.
import crypto from 'node:crypto';
import mqtt from 'mqtt';
import { host, port, run, uid } from './common.mjs';

const METHOD = 'SCRAM-SHA-256';
const [user, password] = process.argv.slice(5);
if (!user || !password) {
  console.error('usage: node scram.mjs HOST PORT UID USER PASSWORD');
  process.exit(2);
}

const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();

class Scram {
  constructor(name, secret) {
    this.secret = secret;
    this.clientNonce = crypto.randomBytes(18).toString('base64');
    this.bare = `n=${name.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${this.clientNonce}`;
  }

  clientFirst() { return Buffer.from(`n,,${this.bare}`); }

  clientFinal(serverFirst) {
    const attrs = Object.fromEntries(serverFirst.split(',').map((part) => [part[0], part.slice(2)]));
    if (!attrs.r.startsWith(this.clientNonce) || attrs.r.length <= this.clientNonce.length) {
      throw new Error(`server nonce ${attrs.r} does not extend ours`);
    }
    const salted = crypto.pbkdf2Sync(this.secret, Buffer.from(attrs.s, 'base64'), Number(attrs.i), 32, 'sha256');
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = crypto.createHash('sha256').update(clientKey).digest();
    const withoutProof = `c=biws,r=${attrs.r}`;
    const authMessage = `${this.bare},${serverFirst},${withoutProof}`;
    const signature = hmac(storedKey, authMessage);
    const proof = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]));
    this.serverFinal = `v=${hmac(hmac(salted, 'Server Key'), authMessage).toString('base64')}`;
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }
}

const authPacket = (reasonCode, data) => ({
  cmd: 'auth', reasonCode, properties: { authenticationMethod: METHOD, authenticationData: data },
});

// Connects with SCRAM; resolves with [client, connack, scram] or rejects with MQTT.js's error.
function scramConnect(clientId, secret) {
  return new Promise((resolve, reject) => {
    let scram = new Scram(user, secret);
    const client = mqtt.connect({
      host, port: Number(port), clientId, protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000,
      properties: { authenticationMethod: METHOD, authenticationData: scram.clientFirst() },
    });
    client.reauthenticated = [];
    client.reauthenticate = () => {
      scram = new Scram(user, secret);
      client._sendPacket(authPacket(0x19, scram.clientFirst()));
      return new Promise((done) => client.reauthenticated.push([done, () => scram]));
    };
    client.handleAuth = (packet, callback) => {
      const data = packet.properties.authenticationData.toString();
      if (packet.reasonCode === 0x18) {
        callback(null, authPacket(0x18, scram.clientFinal(data)));
        return;
      }
      const [done] = client.reauthenticated.shift();
      done(data === scram.serverFinal);
      callback(null);
    };
    client.once('connect', (connack) => resolve([client, connack, scram]));
    client.once('error', reject);
  });
}

run(async (assert) => {
  const [client, connack, scram] = await scramConnect(`${uid}-in`, password);
  assert.equal(connack.reasonCode, 0);
  assert.equal(connack.properties.authenticationMethod, METHOD);
  assert.equal(connack.properties.authenticationData.toString(), scram.serverFinal, "broker's v= is wrong");

  assert.equal(await client.reauthenticate(), true, "broker's v= after re-authentication is wrong");
  const received = new Promise((resolve) => client.once('message', (topic, payload) => resolve(payload.toString())));
  await client.subscribeAsync(`${uid}/scram`, { qos: 1 });
  await client.publishAsync(`${uid}/scram`, 'after re-authentication', { qos: 1 });
  assert.equal(await received, 'after re-authentication');
  await client.endAsync();

  const refused = await scramConnect(`${uid}-wrong`, `${password}-wrong`).then(
    ([other]) => { other.end(true); return null; },
    (error) => error);
  assert.ok(refused, 'a wrong password was let in');
  assert.equal(refused.code, 0x86, `refused with ${refused.message}`);
});
