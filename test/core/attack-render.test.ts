import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { digestTrail, type TrailEvent } from '../../src/core/cloudtrail.js';
import type { PersistenceStep } from '../../src/core/persistence.js';
import { attackHeadline, renderAttackSection } from '../../src/core/render/attack.js';
import { attackScenario } from '../emulators/aws/attack.js';
import { recordBody } from '../emulators/aws/index.js';
import { makeKeyId } from '../helpers/keys.js';

const ACCOUNT = '123456789012';

function golden(name: string, text: string): void {
  const file = join(import.meta.dirname, 'testdata', name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) writeFileSync(file, text);
  expect(text).toBe(readFileSync(file, 'utf8'));
}

/** Key ids are generated per run; the golden file names them by order of appearance. */
function normalise(text: string): string {
  const seen = new Map<string, string>();
  return text.replace(/\b(AKIA|ASIA)[A-Z2-7]{16}\b/g, (k, p: string) => {
    if (!seen.has(k)) seen.set(k, `${p}KEY${seen.size + 1}`);
    return seen.get(k)!;
  });
}

describe('the "What the attacker did" section (golden file)', () => {
  it('an attack with a followed session, contained persistence and a cost spike', () => {
    const keyId = makeKeyId('AKIA', ACCOUNT);
    const attack = attackScenario({
      accountId: ACCOUNT,
      keyId,
      userName: 'deploy-bot',
      now: new Date('2026-03-01T12:00:00Z'),
      volume: 600,
    });
    const via = new Map([
      [attack.expect.sessionKey, `via role ops-admin, session key ${attack.expect.sessionKey}`],
      [attack.expect.createdKey, `via access key ${attack.expect.createdKey} of user backup-admin`],
    ]);
    const events = attack.events.map((e, i) => {
      const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      const event: TrailEvent = {
        EventId: id,
        EventName: e.eventName,
        ReadOnly: 'false',
        AccessKeyId: e.accessKeyId,
        EventTime: e.eventTime,
        EventSource: e.eventSource!,
        Resources: e.resources ?? [],
        CloudTrailEvent: JSON.stringify({ ...recordBody(ACCOUNT, e, id), requestID: randomUUID() }),
      };
      return { region: e.region!, event, via: via.get(e.accessKeyId) ?? null };
    });
    const s = digestTrail({
      keyId,
      window: { start: '2026-02-28T00:00:00Z', end: '2026-03-01T12:00:00Z' },
      regions: ['us-east-1'],
      events,
      incompleteRegions: [],
      followed: [...via].map(([k, v]) => ({ keyId: k, via: v, events: 3, incomplete: null })),
    });
    const persistence: PersistenceStep[] = [
      {
        kind: 'deactivate-key',
        what: 'deactivated access key of user backup-admin',
        target: attack.expect.createdKey,
        outcome: 'done',
        detail: null,
        undo: [
          'aws',
          'iam',
          'update-access-key',
          '--user-name',
          'backup-admin',
          '--access-key-id',
          attack.expect.createdKey,
          '--status',
          'Active',
        ],
        at: '2026-03-01T12:00:01Z',
      },
    ];
    const cost = {
      currency: 'USD',
      since: '2026-03-01',
      days: [
        { date: '2026-02-28', amount: 3.1 },
        { date: '2026-03-01', amount: 412.55 },
      ],
      spike: { date: '2026-03-01', amount: 412.55, baseline: 3.1, factor: 133.1 },
      error: null,
    };
    const text = renderAttackSection(s.activity!, { maxRows: 25, keyId, persistence, cost }).join('\n');
    golden('attack-section.md', normalise(text));
    // The one line the demo prints: actions by category, worst first, then the keys followed.
    expect(attackHeadline(s.activity!)).toMatch(
      /^\d+ attacker actions \(\d+ defense evasion, \d+ [a-z ]+(, \d+ [a-z ]+)*\); 2 minted keys followed \(6 events\)$/,
    );
  });

  it.each([['nothing done', [], [], 'no attacker action; no credentials minted']] as const)(
    'headline: %s',
    (_name, actions, followed, want) => {
      const d = {
        window: { start: 'a', end: 'b' },
        actions: [...actions],
        minted: [],
        reconnaissance: { total: 0, calls: [] },
        denied: { total: 0, calls: [] },
        noise: { total: 0, calls: [] },
        followed: [...followed],
        follow: { maxDepth: 3, maxKeys: 20, notFollowed: [] },
      };
      expect(attackHeadline(d)).toBe(want);
    },
  );
});
