// coturn on loopback for the browser tests: TURN over UDP and TCP on one
// port, and over TLS on another when given a certificate; a shared secret
// (use-auth-secret, coturn's "TURN REST API", as sealroomd's --turn-secret);
// relays only on loopback; DTLS off. Its own ports, found free at start.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { until } from './wait.mjs';

// A TCP port nobody listens on now (nothing binds its UDP twin either).
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

export const listens = (port) => new Promise((r) => {
  const s = net.connect(port, '127.0.0.1', () => { s.destroy(); r(true); });
  s.on('error', () => r(false));
});

// tls: {cert, pkey} files, or none (then no TLS listener).
export async function startCoturn(secret, tls = null) {
  const port = await freePort();
  let tlsPort = null;
  if (tls) do tlsPort = await freePort(); while (tlsPort === port);
  const relayLow = 40000 + Math.floor(Math.random() * 20000);
  const args = ['-n', '--listening-ip', '127.0.0.1', '--relay-ip', '127.0.0.1', '--listening-port', String(port),
    ...(tls ? ['--tls-listening-port', String(tlsPort), '--cert', tls.cert, '--pkey', tls.pkey] : ['--no-tls']),
    '--min-port', String(relayLow), '--max-port', String(relayLow + 200), '--use-auth-secret',
    '--static-auth-secret', secret, '--realm', 'sealroom.test', '--no-dtls', '--no-cli',
    '--allow-loopback-peers', '--fingerprint', '--log-file', 'stdout', '--simple-log'];
  const child = spawn('turnserver', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((r) => child.on('exit', r));
  // Ready once it answers on its TCP port(s).
  await until('coturn listens', async () => (await listens(port)) && (!tls || (await listens(tlsPort))), 10000);
  return { port, tlsPort, child, get log() { return log; }, stop: async () => { child.kill('SIGTERM'); await exited; } };
}
