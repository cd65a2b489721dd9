import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../../src/errors.js';
import { defineEntity } from '../../../src/repository/entity.js';
import { KeysetCursor } from '../../../src/repository/keyset-cursor.js';
import { QueryNormalizer } from '../../../src/repository/query-normalizer.js';

const Item = defineEntity({
  name: 'item',
  schema: z.object({ id: z.string(), score: z.number() }),
  id: 'id',
});
const normalizer = new QueryNormalizer(Item);
const order = normalizer.orderBy({ score: 'desc' });
const token = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url');

describe('KeysetCursor regressions found by the property tests', () => {
  // fast-check seed -1196643815: `{"o":[{}, …]}` destructured a non-array and threw a TypeError.
  it('an unsigned cursor whose sort entries are not pairs is a ValidationError, not a TypeError', () => {
    const cursor = new KeysetCursor('item', normalizer);
    for (const entry of [{}, 5, 'score', true]) {
      expect(() => cursor.after(token({ o: [entry, entry], k: [1, 'a'] }), order)).toThrow(ValidationError);
    }
  });
});
