import { describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../../src/backends/memory/memory-backend.js';
import { ValidationError } from '../../../src/errors.js';
import { BaseRepository } from '../../../src/repository/base-repository.js';
import { Widget, type WidgetInput } from '../../../src/testing/conformance.js';

/** A null-prototype object whose `constructor.name` is an object: zod's message builder throws on it. */
function exotic(): object {
  const name = Object.create(null);
  const maker = Object.assign(Object.create(null), { name });
  return Object.assign(Object.create(null), { constructor: maker });
}

describe('exotic input regressions found by the property tests', () => {
  // fast-check seed 1407474138: delete(id) with such an object escaped zod as a TypeError.
  it('an id, input or patch that makes zod itself throw is a ValidationError', async () => {
    const repo = new BaseRepository<Widget, string, WidgetInput>({
      entity: Widget,
      backend: new MemoryBackend(Widget),
    });
    await expect(repo.delete(exotic() as never)).rejects.toThrow(ValidationError);
    await expect(repo.getById(exotic() as never)).rejects.toThrow(ValidationError);
    await expect(repo.create(exotic() as never)).rejects.toThrow(ValidationError);
    await expect(repo.create({ id: 'w', email: exotic() } as never)).rejects.toThrow(ValidationError);
  });

  // Found once exotic objects joined the generators: String(expectedVersion) threw a TypeError.
  it('an expectedVersion that cannot be converted to text is a ValidationError', async () => {
    const repo = new BaseRepository<Widget, string, WidgetInput>({
      entity: Widget,
      backend: new MemoryBackend(Widget),
    });
    await expect(repo.update('w', { score: 1 }, { expectedVersion: exotic() as never })).rejects.toThrow(
      ValidationError,
    );
  });
});
