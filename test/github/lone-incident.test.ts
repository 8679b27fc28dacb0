import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { withholdDetails } from '../../src/core/disclosure.js';
import { carryForward, describeChanges, readState, stateOf } from '../../src/core/incident.js';
import { incidentId, incidentKeyId, incidentMarker } from '../../src/core/incident-wire.js';
import {
  DEFAULT_RUNBOOK_TEMPLATE,
  renderIncidentBody,
  renderIncidentTitle,
  type IncidentContext,
} from '../../src/core/render/incident.js';
import { renderMarkdown } from '../../src/core/render/markdown.js';
import type { LoneSecret, ScanReport } from '../../src/core/types.js';

const here = dirname(fileURLToPath(import.meta.url));

// A fingerprint and a redacted form, never a secret: the incident only ever holds these.
const FINGERPRINT = 'keyleak:v1:secret:0123456789abcdef0123456789abcdef';
const REDACTED = 'wJal' + '*'.repeat(36);
const C1 = 'a'.repeat(40);
const C2 = 'b'.repeat(40);

function lone(over: Partial<LoneSecret> = {}): LoneSecret {
  return {
    secretRedacted: REDACTED,
    fingerprint: FINGERPRINT,
    locations: [
      {
        commit: C1,
        path: 'ci/deploy.yml',
        line: 4,
        author: 'Ada Tester <ada@example.com>',
        date: '2024-01-01T00:01:00Z',
      },
      {
        commit: C2,
        path: '.env',
        line: 2,
        author: 'Bo | *Dev* <bo@example.com>',
        date: '2024-01-01T00:02:00Z',
      },
    ],
    ...over,
  };
}

function ctx(over: Partial<IncidentContext> = {}): IncidentContext {
  return {
    repo: { owner: 'octo', repo: 'app' },
    serverUrl: 'https://github.com',
    runUrl: 'https://github.com/octo/app/actions/runs/42',
    trailArtifactUrl: null,
    refs: { [C1]: ['refs/heads/main'], [C2]: ['refs/heads/main', 'refs/tags/v1.0'] },
    pulls: { [C2]: [7] },
    forcePush: null,
    trail: null,
    trailUnavailable: null,
    verificationNote: null,
    historyPlan: null,
    contacts: DEFAULT_RUNBOOK_TEMPLATE,
    checkedAt: '2024-01-03T00:00:00Z',
    ...over,
  };
}

function golden(name: string, text: string): void {
  const file = join(here, 'testdata', name);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, text);
  // A missing golden file is a failure, never a silent first write: new ones are made on purpose.
  if (!existsSync(file))
    throw new Error(`golden file ${name} is missing; run with UPDATE_GOLDEN=1 to write it`);
  expect(text).toBe(readFileSync(file, 'utf8'));
}

describe("a lone secret's incident (golden files)", () => {
  const cases: [string, () => { s: LoneSecret; c: IncidentContext }, string][] = [
    ['in a private repository, with the generic rewrite', () => ({ s: lone(), c: ctx() }), 'lone-secret.md'],
    [
      'in a public repository: no redacted form, in the title, the body or its state',
      () => {
        const shown = withholdDetails(lone(), ctx({ historyPlan: `| unknown | \`${REDACTED}\` |` }));
        return { s: shown.finding, c: shown.ctx };
      },
      'lone-secret-public.md',
    ],
  ];
  it.each(cases)('%s', (_name, make, file) => {
    const { s, c } = make();
    const body = renderIncidentBody(s, c);
    golden(file, `# ${renderIncidentTitle(s, c)}\n\n${body}`);
    expect(body).not.toMatch(/ada@example\.com|bo@example\.com/);
    // Nothing keyleak did not do is ticked: it neither verifies nor contains a key it cannot name.
    expect(body.match(/- \[ \] \d\./g)).toHaveLength(8);
    expect(body).not.toMatch(/- \[x\]/);
    expect(incidentId(body)).toBe(FINGERPRINT);
    expect(incidentKeyId(body)).toBeNull();
    expect(readState(body)).toMatchObject({ secret: FINGERPRINT, verdict: 'not verified', action: null });
  });

  it('the public incident names the secret by its fingerprint alone', () => {
    const shown = withholdDetails(lone(), ctx({ historyPlan: `| unknown | \`${REDACTED}\` |` }));
    const text = renderIncidentTitle(shown.finding, shown.ctx) + renderIncidentBody(shown.finding, shown.ctx);
    expect(text).not.toContain('wJal');
    expect(renderIncidentTitle(shown.finding, shown.ctx)).toBe(
      'Leaked AWS secret access key found (89abcdef)',
    );
  });

  it('the title shows four characters of the secret and says the key id is unknown', () => {
    expect(renderIncidentTitle(lone())).toBe(
      'Leaked AWS secret access key wJal… without its key id (not verified)',
    );
  });
});

describe("the wire format of a lone secret's incident", () => {
  it('its marker names the fingerprint, never a key id', () => {
    expect(incidentMarker(FINGERPRINT)).toBe(`<!-- keyleak:incident {"secret":"${FINGERPRINT}"} -->`);
    expect(incidentMarker('AKIA' + 'GOLDEN0FILE0KEY1')).toContain('"keyId"');
  });

  const markers: [string, string, string | null][] = [
    ['a fingerprint is read back', `<!-- keyleak:incident {"secret":"${FINGERPRINT}"} -->`, FINGERPRINT],
    ['a secret that is not a fingerprint is no marker', '<!-- keyleak:incident {"secret":"hello"} -->', null],
    ['a key id wins over a secret', '<!-- keyleak:incident {"keyId":"AKIAX","secret":"y"} -->', 'AKIAX'],
  ];
  it.each(markers)('%s', (_name, body, want) => {
    expect(incidentId(body)).toBe(want);
  });

  it('a refresh adds new locations and says so; nothing else changes', () => {
    const first = lone({ locations: lone().locations.slice(0, 1) });
    const before = stateOf(first, null, 't0');
    const merged = carryForward(lone({ locations: lone().locations.slice(1) }), before);
    expect(merged.locations).toHaveLength(2);
    expect(describeChanges(before, stateOf(merged, null, 't1'))).toEqual([
      'Found in 1 new location: `.env`:2 in `bbbbbbbbbbbb`.',
    ]);
    expect(describeChanges(stateOf(merged, null, 't1'), stateOf(merged, null, 't2'))).toEqual([]);
  });
});

describe("the job summary of a run that opened lone secrets' incidents", () => {
  const report: ScanReport = {
    findings: [],
    loneSecrets: [lone()],
    suppressed: [],
    stats: { mode: 'range', objectsScanned: 1, bytesScanned: 1, commitsScanned: 1, durationMs: 0 },
    incomplete: false,
    warnings: [],
  };
  const incidents = new Map([[FINGERPRINT, { number: 4, url: 'https://github.com/octo/app/issues/4' }]]);
  const cases: [string, boolean, string][] = [
    [
      'links each secret to its incident',
      false,
      `| \`${REDACTED}\` | \`${FINGERPRINT}\` | [#4](https://github.com/octo/app/issues/4) | \`aaaaaaaaaaaa\` \`ci/deploy.yml\`:4<br>\`bbbbbbbbbbbb\` \`.env\`:2 |`,
    ],
    [
      'on a public repository, without the redacted form',
      true,
      `| \`${FINGERPRINT}\` | [#4](https://github.com/octo/app/issues/4) | \`aaaaaaaaaaaa\` \`ci/deploy.yml\`:4<br>\`bbbbbbbbbbbb\` \`.env\`:2 |`,
    ],
  ];
  it.each(cases)('%s', (_name, withheld, row) => {
    const md = renderMarkdown(report, { incidents, withheld });
    expect(md.split('\n')).toContain(row);
    if (withheld) expect(md).not.toContain('wJal');
  });
});
