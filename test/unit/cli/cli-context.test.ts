import { describe, expect, it } from 'vitest';
import { CommandContext } from '../../../src/cli/cli-context.js';
import { ConnectionManager } from '../../../src/connection/connection-manager.js';
import { UnavailableError, ValidationError } from '../../../src/errors.js';

describe('CommandContext', () => {
  it('calls a connection factory once however often the command asks, and closes what it made', async () => {
    let calls = 0;
    const context = new CommandContext({
      connection: () => {
        calls++;
        return { primary: { connectionString: 'postgres://postgres@127.0.0.1:1/none' } };
      },
    });
    const [a, b] = await Promise.all([context.connections(), context.connections()]);
    await context.connectionSetting();
    expect(a).toBe(b);
    expect(a).toBeInstanceOf(ConnectionManager);
    expect(calls).toBe(1);
    await context.close();
    // Closed by the context: the manager refuses new work.
    await expect(a.query('select 1')).rejects.toBeInstanceOf(UnavailableError);
  });

  it('uses a ConnectionManager the config passes in, and leaves it open', async () => {
    const own = new ConnectionManager({
      primary: { connectionString: 'postgres://postgres@127.0.0.1:1/none' },
    });
    const context = new CommandContext({ connection: own });
    expect(await context.connections()).toBe(own);
    await context.close();
    await expect(own.query('select 1')).rejects.not.toBeInstanceOf(UnavailableError);
    await own.close();
  });

  it('names the section a resource needs', async () => {
    const context = new CommandContext({});
    await expect(context.connections()).rejects.toThrow(
      'The config module has no `connection` section, which this command needs for the database',
    );
    await expect(context.redis()).rejects.toBeInstanceOf(ValidationError);
  });

  it('runs onClose callbacks newest first, and a failing one does not stop the others', async () => {
    const context = new CommandContext({});
    const order: string[] = [];
    context.onClose(() => {
      order.push('first');
    });
    context.onClose(() => {
      throw new Error('closing failed');
    });
    context.onClose(async () => {
      order.push('last');
    });
    await context.close();
    expect(order).toEqual(['last', 'first']);
  });
});
