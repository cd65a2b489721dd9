/**
 * The notes use cases, on top of the repository. It knows nothing of HTTP or of how it
 * was wired: both composition roots construct it with the same dependencies.
 */
import { NotFoundError, type Page, ValidationError } from '../../src/index.js';
import type { AppConfig } from './app-config.js';
import type { Note, NoteRepository } from './note.js';

/** What the service needs. */
export interface NotesServiceDependencies {
  readonly notes: NoteRepository;
  readonly config: AppConfig;
}

/** A page request, as the query string gives it. */
export interface PageRequest {
  readonly limit?: string | null;
  readonly cursor?: string | null;
}

/** Lists, reads, creates, updates and deletes notes; bad input is a ValidationError. */
export class NotesService {
  readonly #notes: NoteRepository;
  readonly #config: AppConfig;

  constructor({ notes, config }: NotesServiceDependencies) {
    this.#notes = notes;
    this.#config = config;
  }

  /** One keyset page in id order; `cursor` is the previous page's `nextCursor`. */
  list(request: PageRequest = {}): Promise<Page<Note>> {
    const limit = request.limit
      ? parseWholeNumber('limit', request.limit)
      : this.#config.get('notes.pageSize');
    return this.#notes.list({ orderBy: { id: 'asc' }, limit, cursor: request.cursor ?? null });
  }

  get(id: string): Promise<Note> {
    return this.#notes.getOrFail(parseWholeNumber('id', id));
  }

  create(input: unknown): Promise<Note> {
    const { title, body = '' } = fieldsOf(input, ['title', 'body']);
    return this.#notes.create({ title, body } as Pick<Note, 'title' | 'body'>);
  }

  /** Applies `title` and/or `body`; with `expectedVersion`, a stale version is a ConflictError. */
  update(id: string, input: unknown): Promise<Note> {
    const { expectedVersion, ...patch } = fieldsOf(input, ['title', 'body', 'expectedVersion']);
    if (expectedVersion !== undefined && !Number.isInteger(expectedVersion)) {
      throw ValidationError.fromIssues('Invalid note update', [
        { path: 'expectedVersion', message: 'must be an integer', code: 'invalid_type' },
      ]);
    }
    return this.#notes.update(parseWholeNumber('id', id), patch as Partial<Note>, {
      expectedVersion: expectedVersion as number | undefined,
    });
  }

  async remove(id: string): Promise<void> {
    const noteId = parseWholeNumber('id', id);
    if (!(await this.#notes.delete(noteId))) throw NotFoundError.forId('note', noteId);
  }
}

function parseWholeNumber(name: string, text: string): number {
  if (!/^[1-9]\d{0,14}$/.test(text)) {
    throw ValidationError.fromIssues(`Invalid ${name}`, [
      {
        path: name,
        message: `must be a positive whole number, got "${text.slice(0, 40)}"`,
        code: 'invalid_type',
      },
    ]);
  }
  return Number(text);
}

/** The allowed fields of a JSON object body; any other field is a ValidationError. */
function fieldsOf(input: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw ValidationError.fromIssues('Invalid note', [
      { path: '', message: 'the body must be a JSON object', code: 'invalid_type' },
    ]);
  }
  const unknown = Object.keys(input).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw ValidationError.fromIssues(
      'Invalid note',
      unknown.map((key) => ({
        path: key,
        message: `unknown field (allowed: ${allowed.join(', ')})`,
        code: 'unrecognized_keys',
      })),
    );
  }
  return input as Record<string, unknown>;
}
