import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { makePair } from '../helpers/keys.js';
import { TestRepo } from '../helpers/repo.js';

const [a, b, c] = [makePair(), makePair(), makePair()];
let repo: TestRepo;
let second: string;

beforeAll(() => {
  repo = TestRepo.create();
  repo.commit('deploy', { '.env': `AWS_ACCESS_KEY_ID=${a.keyId}\nAWS_SECRET_ACCESS_KEY=${a.secret}\n` });
  second = repo.commit('app config', { 'config/app.yml': `region: eu-west-1\naccess_key_id: ${b.keyId}\n` });
  repo.commit('tools', { 'tools/upload.sh': `export AWS_ACCESS_KEY_ID=${c.keyId}\n` });
});
afterAll(() => repo.cleanup());

describe('keyleak baseline --from-gitleaks', () => {
  it('records the keys a gitleaks report and .gitleaksignore accepted, and only those', async () => {
    const report = join(repo.dir, 'gitleaks-baseline.json');
    writeFileSync(
      report,
      JSON.stringify(
        [
          {
            RuleID: 'aws-access-token',
            File: '.env',
            StartLine: 1,
            Commit: repo.head('HEAD~2'),
            Secret: a.keyId,
            Match: `AWS_ACCESS_KEY_ID=${a.keyId}`,
          },
          { RuleID: 'generic-api-key', File: '.env', StartLine: 2, Commit: repo.head('HEAD~2'), Secret: 'x' },
        ],
        null,
        2,
      ),
    );
    const ignore = join(repo.dir, '.gitleaksignore');
    writeFileSync(
      ignore,
      `# accepted before keyleak\n${second}:config/app.yml:aws-access-token:2\nold/removed.env:aws-access-token:7\n`,
    );
    const r = await cli('baseline', '--repo', repo.dir, '--from-gitleaks', report, '--from-gitleaks', ignore);
    expect(r.code).toBe(0);
    expect(r.out).toContain('recorded 2 keys');
    expect(r.err).toContain(`warning: ${ignore}:3: names no key this scan found; nothing recorded for it`);
    const config = readFileSync(join(repo.dir, '.github', 'keyleak.yml'), 'utf8');
    expect(config.match(/accepted in gitleaks/g)).toHaveLength(2);

    const scan = await cli('scan', '--repo', repo.dir, '--format', 'json');
    const json = JSON.parse(scan.out) as {
      findings: { keyId: string }[];
      suppressed: { keyId: string; reason: string }[];
    };
    expect(json.findings.map((f) => f.keyId)).toEqual([c.keyId]);
    expect(json.suppressed.map((s) => [s.keyId, s.reason]).sort()).toEqual(
      [
        [a.keyId, 'baseline'],
        [b.keyId, 'baseline'],
      ].sort(),
    );
  });

  it('a malformed .gitleaksignore is an error naming its line, and nothing is written', async () => {
    const ignore = join(repo.dir, 'broken.gitleaksignore');
    writeFileSync(ignore, `${second}:config/app.yml:aws-access-token:2\nconfig/app.yml\n`);
    const config = join(repo.dir, 'other.yml');
    writeFileSync(config, '# mine\n');
    const r = await cli('baseline', '--repo', repo.dir, '--config', config, '--from-gitleaks', ignore);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${ignore}:2: expected a gitleaks fingerprint`);
    expect(readFileSync(config, 'utf8')).toBe('# mine\n');
  });
});
