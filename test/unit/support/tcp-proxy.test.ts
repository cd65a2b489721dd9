import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TcpProxy } from '../../support/tcp-proxy.js';

// The fault-injection proxy other test files rely on, checked against a local echo server.
let echo: net.Server;
let proxy: TcpProxy;

beforeAll(async () => {
  echo = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  proxy = await TcpProxy.start({ host: '127.0.0.1', port: (echo.address() as net.AddressInfo).port });
});

afterAll(async () => {
  await proxy.close();
  await new Promise((resolve) => echo.close(resolve));
});

function connect(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port: proxy.port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Sends `text` and collects what comes back until `expected` bytes arrived or `waitMs` passed. */
function roundTrip(socket: net.Socket, text: string, waitMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    let received = '';
    const done = () => {
      socket.off('data', onData);
      resolve(received);
    };
    const timer = setTimeout(done, waitMs);
    const onData = (chunk: Buffer) => {
      received += chunk.toString();
      if (received.length >= text.length) {
        clearTimeout(timer);
        done();
      }
    };
    socket.on('data', onData);
    socket.write(text);
  });
}

describe('TcpProxy', () => {
  it('forwards both ways and rewrites URLs to itself', async () => {
    const socket = await connect();
    expect(await roundTrip(socket, 'hello')).toBe('hello');
    expect(proxy.openConnections).toBe(1);
    expect(proxy.rewrite('postgres://u:p@10.1.2.3:5432/db')).toBe(
      `postgres://u:p@127.0.0.1:${proxy.port}/db`,
    );
    socket.destroy();
  });

  it('delays every chunk and keeps their order', async () => {
    const socket = await connect();
    proxy.setDelay(150);
    try {
      const started = Date.now();
      let received = '';
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString();
      });
      socket.write('abc');
      await new Promise((resolve) => setTimeout(resolve, 50));
      proxy.setDelay(0);
      socket.write('def'); // sent later with no delay: must not overtake 'abc'
      while (received.length < 6 && Date.now() - started < 2000) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(received).toBe('abcdef');
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    } finally {
      proxy.setDelay(0);
      socket.destroy();
    }
  });

  it('drops traffic in drop mode (the peer hangs)', async () => {
    const socket = await connect();
    proxy.setMode('drop');
    try {
      expect(await roundTrip(socket, 'lost', 200)).toBe('');
    } finally {
      proxy.setMode('pass');
      socket.destroy();
    }
  });

  it('cuts open connections and refuses new ones', async () => {
    const socket = await connect();
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.on('error', () => {});
    proxy.cutAll();
    await closed;
    proxy.setMode('refuse');
    try {
      const refused = await connect().then(
        (s) => new Promise<boolean>((resolve) => s.once('close', () => resolve(true)).on('error', () => {})),
        () => true,
      );
      expect(refused).toBe(true);
    } finally {
      proxy.setMode('pass');
    }
    const again = await connect();
    expect(await roundTrip(again, 'back')).toBe('back');
    again.destroy();
  });
});
