import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerEngineAnswers } from '../../support/containers.js';

const savedDockerHost = process.env.DOCKER_HOST;
afterEach(() => {
  if (savedDockerHost === undefined) delete process.env.DOCKER_HOST;
  else process.env.DOCKER_HOST = savedDockerHost;
});

/** An HTTP server on a unix socket answering /_ping like an engine (or not). */
async function pingServer(status: number): Promise<{ socket: string; close(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'reposit-docker-'));
  const socket = path.join(dir, 'docker.sock');
  const server = http.createServer((request, response) => {
    response.writeHead(request.url === '/_ping' ? status : 404, { 'content-type': 'text/plain' });
    response.end(status === 200 ? 'OK' : 'no');
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    socket,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('dockerEngineAnswers (the testcontainers fallback of the test set-up)', () => {
  it('is true when DOCKER_HOST answers /_ping with 200', async () => {
    const engine = await pingServer(200);
    try {
      process.env.DOCKER_HOST = `unix://${engine.socket}`;
      expect(await dockerEngineAnswers()).toBe(true);
    } finally {
      await engine.close();
    }
  });

  it('is false when the socket answers with an error, is missing, or nothing listens on a TCP host', async () => {
    const broken = await pingServer(500);
    try {
      process.env.DOCKER_HOST = `unix://${broken.socket}`;
      expect(await dockerEngineAnswers()).toBe(false);
    } finally {
      await broken.close();
    }
    process.env.DOCKER_HOST = 'unix:///nonexistent/docker.sock';
    expect(await dockerEngineAnswers()).toBe(false);
    const closed = freePort();
    process.env.DOCKER_HOST = `tcp://127.0.0.1:${await closed}`;
    expect(await dockerEngineAnswers(1000)).toBe(false);
  });
});

/** A port nothing listens on (taken, then released). */
async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
