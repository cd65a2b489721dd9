/**
 * The HTTP surface, on node:http with no framework:
 *
 *   GET    /health            200 { status: 'ok' } once the primary answers
 *   GET    /status            configuration (redacted), cache counters, connection pools
 *   GET    /notes?limit&cursor  a keyset page
 *   POST   /notes             201 the created note
 *   GET    /notes/:id         the note
 *   PATCH  /notes/:id         { title?, body?, expectedVersion? }
 *   DELETE /notes/:id         204
 *
 * Errors are JSON `{ error: { name, code, message, … } }` with the status of their class.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { NotFoundError, ValidationError } from '../../src/index.js';
import { errorResponse } from './error-response.js';
import type { NotesService } from './notes-service.js';
import type { StatusService } from './status-service.js';

/** The services the routes call; what each composition root provides. */
export interface HttpAppDependencies {
  readonly notesService: NotesService;
  readonly statusService: StatusService;
  /** Where unexpected errors are reported. @default console.error */
  readonly reportError?: (error: unknown) => void;
}

/** The largest request body accepted. */
const MAX_BODY_BYTES = 64 * 1024;

/** Builds the request listener for `http.createServer`. */
export function createHttpApp({
  notesService,
  statusService,
  reportError = console.error,
}: HttpAppDependencies): RequestListener {
  async function route(request: IncomingMessage, url: URL): Promise<[number, unknown]> {
    const [, collection, id, extra] = url.pathname.split('/');
    const method = request.method ?? 'GET';
    if (url.pathname === '/health' && method === 'GET') return [200, await statusService.health()];
    if (url.pathname === '/status' && method === 'GET') return [200, statusService.status()];
    if (collection === 'notes' && extra === undefined) {
      if (id === undefined || id === '') {
        if (method === 'GET') {
          return [
            200,
            await notesService.list({
              limit: url.searchParams.get('limit'),
              cursor: url.searchParams.get('cursor'),
            }),
          ];
        }
        if (method === 'POST') return [201, await notesService.create(await readJson(request))];
      } else {
        if (method === 'GET') return [200, await notesService.get(id)];
        if (method === 'PATCH') return [200, await notesService.update(id, await readJson(request))];
        if (method === 'DELETE') {
          await notesService.remove(id);
          return [204, undefined];
        }
      }
    }
    throw new NotFoundError(`No route for ${method} ${url.pathname}`);
  }

  return (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    route(request, url).then(
      ([status, body]) => send(response, status, body),
      (error: unknown) => {
        const { status, body } = errorResponse(error);
        if (status === 500) reportError(error);
        send(response, status, body);
      },
    );
  };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (body === undefined) {
    response.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  response
    .writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    .end(text);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw ValidationError.fromIssues('Invalid request', [
        { path: '', message: `the body is larger than ${MAX_BODY_BYTES} bytes`, code: 'too_big' },
      ]);
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw ValidationError.fromIssues('Invalid request', [
      { path: '', message: 'the body is not valid JSON', code: 'invalid_json' },
    ]);
  }
}
