import { z } from 'zod';
import type { LegacyMapper } from '../../src/backends/legacy/index.js';
import { defineEntity, type EntityType } from '../../src/repository/entity.js';

/** A customer as the old CRM exports it: one upper-case name, text dates and amounts, status letters. */
export interface LegacyCustomer {
  CUST_NO: string;
  /** `LAST, FIRST`, upper case. */
  NAME: string;
  /** Free text; often padded, mixed case, sometimes `n/a`. */
  EMAIL_ADDR: string;
  /** `A` active, `I` inactive. */
  STATUS: 'A' | 'I';
  /** `DD.MM.YYYY`. */
  SIGNUP_DT: string;
  /** `1,500.00`. */
  CREDIT_LIMIT: string;
  /** `YYYY-MM-DD HH:MM:SS`, UTC. */
  LAST_CHG: string;
  /** The CRM's change counter. */
  CHG_CNT: number;
}

/** The customer in the new schema. */
export const Customer = defineEntity({
  name: 'customer',
  schema: z.object({
    id: z.string().regex(/^C\d{5}$/),
    firstName: z.string().min(1),
    lastName: z.string().min(1),
    email: z.email(),
    active: z.boolean(),
    signedUpOn: z.date(),
    creditLimitCents: z.number().int().nonnegative(),
    version: z.number().int().positive(),
    updatedAt: z.date(),
  }),
  id: 'id',
  version: 'version',
  timestamps: { updatedAt: 'updatedAt' },
});
export type Customer = EntityType<typeof Customer>;

/** Legacy record ↔ customer. `toEntity` throws on what it cannot read; the schema checks the rest. */
export const customerMapper: LegacyMapper<LegacyCustomer, Customer, string, string> = {
  legacyIdField: 'CUST_NO',
  toEntity(record) {
    const [last = '', first = ''] = record.NAME.split(',').map((part) => titleCase(part.trim()));
    return {
      id: record.CUST_NO,
      firstName: first,
      lastName: last,
      email: record.EMAIL_ADDR.trim().toLowerCase(),
      active: record.STATUS === 'A',
      signedUpOn: parseDay(record.SIGNUP_DT),
      creditLimitCents: Math.round(Number(record.CREDIT_LIMIT.replaceAll(',', '')) * 100),
      version: record.CHG_CNT,
      updatedAt: new Date(`${record.LAST_CHG.replace(' ', 'T')}Z`),
    };
  },
  toLegacy(customer) {
    const day = customer.signedUpOn;
    return {
      CUST_NO: customer.id,
      NAME: `${customer.lastName}, ${customer.firstName}`.toUpperCase(),
      EMAIL_ADDR: customer.email,
      STATUS: customer.active ? 'A' : 'I',
      SIGNUP_DT: `${pad(day.getUTCDate())}.${pad(day.getUTCMonth() + 1)}.${day.getUTCFullYear()}`,
      CREDIT_LIMIT: (customer.creditLimitCents / 100).toLocaleString('en-US', { minimumFractionDigits: 2 }),
      LAST_CHG: customer.updatedAt.toISOString().slice(0, 19).replace('T', ' '),
      CHG_CNT: customer.version,
    };
  },
  toLegacyId: (id) => id,
  toEntityId: (id) => id,
};

function parseDay(text: string): Date {
  const match = /^(\d{2})\.(\d{2})\.(\d{4})$/.exec(text);
  if (!match) throw new Error(`SIGNUP_DT "${text}" is not DD.MM.YYYY`);
  const [, day, month, year] = match.map(Number) as [number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCDate() !== day || date.getUTCMonth() !== month - 1)
    throw new Error(`SIGNUP_DT "${text}" is not a calendar date`);
  return date;
}

function titleCase(text: string): string {
  return text
    .toLowerCase()
    .replace(
      /(^|[\s-])(\p{L})/gu,
      (_, separator: string, letter: string) => separator + letter.toUpperCase(),
    );
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
