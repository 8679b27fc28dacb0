// The demo's world: a throwaway repository with a freshly generated key, AWS and GitHub emulated on
// 127.0.0.1, and the action (dist/) run on a push and on a pull request exactly as the runner runs it.
// scripts/demo.mjs transpiles this file, then runs `node <driver> <action dir>`.
import { startAwsEmulator, type AwsEmulator } from '../test/emulators/aws/index.js';
import { makeState, startGitHubEmulator } from '../test/emulators/github/index.js';
import { makePair } from '../test/helpers/keys.js';
import { attackerEvents, git, pushPayload, runAction, secretNowhere, World } from '../test/action/harness.js';
import type { TrailSummary } from '../src/core/cloudtrail.js';
import { attackHeadline } from '../src/core/render/attack.js';
import { terminal } from '../src/core/render/escape.js';

const ACCOUNT = '123456789012';
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

interface ReportFinding {
  keyId: string;
  verification?: { status: string; arn?: string | null; reason?: string | null } | null;
  response?: { action: string; detail: string } | null;
}

async function main(actionDir: string): Promise<number> {
  const leaked = makePair('AKIA', ACCOUNT);
  const responder = makePair('AKIA', ACCOUNT);
  // A second key, for the pull request: one AWS does not know (deleted long ago, say).
  const stale = makePair('AKIA', ACCOUNT);
  const secrets = [leaked.secret, responder.secret, stale.secret];
  const out: string[] = [];
  const say = (line = '') => out.push(line);

  const world = new World();
  const aws: AwsEmulator = await startAwsEmulator({
    accounts: [
      {
        id: ACCOUNT,
        regions: ['us-east-1', 'eu-west-1'],
        users: [
          { name: 'keyleak-responder', keys: [{ id: responder.keyId, secret: responder.secret }] },
          { name: 'deploy-bot', keys: [{ id: leaked.keyId, secret: leaked.secret }] },
        ],
        events: attackerEvents(leaked.keyId),
      },
    ],
    lookupEventsPerSecond: null,
  });
  const state = makeState(['octo/app']);
  // A private repository: incidents carry every detail (a public one's would leave them out).
  state.repos['octo/app']!.private = true;
  const gh = await startGitHubEmulator(state);
  try {
    world.commit('Initial commit', { 'README.md': '# app\n' });
    world.commit('Add the service', { 'src/app.js': 'console.log("hello");\n' });
    const before = world.commit('Document deployment', { 'docs/deploy.md': 'Run `make deploy`.\n' });
    const after = world.commit('Add deploy config', {
      'config/deploy.ini':
        '[default]\nregion = eu-west-1\n' +
        `aws_access_key_id = ${leaked.keyId}\naws_secret_access_key = ${leaked.secret}\n`,
    });
    world.commit('Tidy README', { 'README.md': '# app\n\nA small service.\n' });
    const head = world.sha('HEAD');
    world.push('main');

    say(bold('keyleak demo'));
    const pushed = Number(git(world.dev, 'rev-list', '--count', `${before}..${head}`).trim());
    say(
      `  repository   ${pushed} commit${pushed === 1 ? '' : 's'} pushed to main; ${after.slice(0, 7)} adds config/deploy.ini with a key`,
    );
    say(`  leaked key   ${leaked.keyId} (user deploy-bot, account ${ACCOUNT}), generated just now`);
    say(`  AWS          emulated at ${aws.endpoint}: regions us-east-1 and eu-west-1, with CloudTrail`);
    say(`  GitHub       emulated at ${gh.url}: private repository octo/app`);
    say('  action       push event, verify: true, deactivate: true, managed-accounts: ' + ACCOUNT);
    say();

    // The runner's environment: the emulator's endpoints and the responder's credentials, nothing else.
    Object.assign(process.env, aws.env, {
      AWS_ACCESS_KEY_ID: responder.keyId,
      AWS_SECRET_ACCESS_KEY: responder.secret,
      AWS_CONFIG_FILE: '/nonexistent/keyleak-demo-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/keyleak-demo-credentials',
    });
    for (const k of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE'])
      delete process.env[k];

    const started = Date.now();
    const run = await runAction({
      dist: actionDir,
      emu: gh,
      workspace: world.checkout('main', head),
      event: 'push',
      payload: pushPayload('refs/heads/main', before, head),
      inputs: { verify: 'true', deactivate: 'true', 'managed-accounts': ACCOUNT, 'public-details': 'false' },
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);

    const failed = run.code === 1 ? ': it fails the check, as fail-on-findings asks' : '';
    say(bold(`What the action did (${seconds}s, exit code ${run.code}${failed})`));
    const report = JSON.parse(run.report ?? '{"findings":[]}') as { findings: ReportFinding[] };
    say(`  keys found   ${run.outputs.findings ?? '?'}  (live: ${run.outputs['live-keys'] ?? '?'})`);
    for (const f of report.findings) {
      const v = f.verification;
      say(`  verdict      ${f.keyId}: ${v?.status ?? 'not verified'}${v?.arn ? ` as ${v.arn}` : ''}`);
      if (f.response) say(`  containment  ${f.response.action}: ${f.response.detail}`);
    }
    say('  AWS calls, in order:');
    for (const r of aws.requests) {
      const who =
        r.accessKeyId === leaked.keyId
          ? 'the leaked key'
          : r.accessKeyId === responder.keyId
            ? 'the responder'
            : (r.accessKeyId ?? 'unsigned');
      const what = r.action === 'UpdateAccessKey' ? ` (Status=${String(r.params.Status)})` : '';
      say(
        `    ${`${r.service}:${r.action}${what}`.padEnd(42)} ${r.region.padEnd(10)} ${r.status}  by ${who}`,
      );
    }
    const issue = gh.state.repos['octo/app']!.issues[0];
    // trail.json, as the run uploads it: the digest the incident leads with.
    const trail = (JSON.parse(run.trail ?? '{"trails":[]}') as { trails: TrailSummary[] }).trails.find(
      (t) => t.keyId === leaked.keyId,
    );
    if (trail) {
      say(
        `  CloudTrail   ${trail.totalEvents} events from ${trail.byIp.map((i) => terminal(i.ip)).join(', ')} (incident below)`,
      );
      if (trail.activity) say(`  attacker     ${attackHeadline(trail.activity)}`);
    }
    say(`  IAM now      ${leaked.keyId} is ${aws.state.keys.get(leaked.keyId)?.status ?? 'gone'}`);
    say(`  issues       ${run.outputs.issues ?? '[]'}`);
    say();
    if (issue) {
      say(bold(`Incident issue #${issue.number}: ${issue.title}`));
      say('-'.repeat(100));
      say(issue.body);
      say('-'.repeat(100));
    } else {
      say(bold('No incident issue was opened. The action log:'));
      say(run.stdout);
    }
    say();
    say(bold('Job summary (the run page on GitHub)'));
    say('-'.repeat(100));
    say(run.summary.trim());
    say('-'.repeat(100));
    say();
    const sarif = JSON.parse(run.sarif ?? '{"runs":[{"results":[]}]}') as {
      runs: {
        automationDetails?: { id: string };
        results: {
          ruleId: string;
          locations: {
            physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
          }[];
        }[];
      }[];
    };
    const sarifRun = sarif.runs[0]!;
    say(bold(`SARIF for code scanning (category ${run.outputs['sarif-category'] ?? '?'})`));
    for (const r of sarifRun.results) {
      const l = r.locations[0]!.physicalLocation;
      say(`  ${r.ruleId.padEnd(22)} ${l.artifactLocation.uri}:${l.region.startLine}`);
    }
    say();

    // A pull request adding another key: the comment on the PR.
    git(world.dev, 'checkout', '-q', '-b', 'feature');
    const prHead = world.commit('Add staging config', {
      'config/staging.ini': `[staging]\naws_access_key_id = ${stale.keyId}\naws_secret_access_key = ${stale.secret}\n`,
    });
    world.push('feature:refs/pull/7/head');
    gh.state.repos['octo/app']!.issues.push({
      number: 7,
      title: 'Staging config',
      body: '',
      state: 'open',
      labels: [],
      user: 'dev',
      isPullRequest: true,
      createdAt: '2024-01-01T00:00:00Z',
      updatedAt: '2024-01-01T00:00:00Z',
    });
    const pr = await runAction({
      dist: actionDir,
      emu: gh,
      workspace: world.checkout('feature', prHead, { depth: 1 }),
      event: 'pull_request',
      payload: {
        action: 'synchronize',
        number: 7,
        pull_request: {
          number: 7,
          base: { sha: head, ref: 'main', repo: { full_name: 'octo/app' } },
          head: { sha: prHead, ref: 'feature', repo: { full_name: 'octo/app' } },
        },
      },
      inputs: { verify: 'true', deactivate: 'true', 'managed-accounts': ACCOUNT, 'public-details': 'false' },
    });
    const comment = gh.state.repos['octo/app']!.comments.find((c) => c.issueNumber === 7);
    say(bold(`Pull request #7: the comment keyleak left (exit code ${pr.code})`));
    say('-'.repeat(100));
    say(comment ? comment.body.trim() : '(no comment)');
    say('-'.repeat(100));

    // Nothing keyleak wrote or sent may hold a secret: not the log, outputs, summary, SARIF, report, issue
    // or GitHub request, nor any AWS request except as the key that signed it. Nor may this demo's output.
    const text = out.join('\n');
    const leaks = secrets.flatMap((s) => [
      ...secretNowhere(s, run, gh),
      ...secretNowhere(s, pr, gh),
      ...aws.requests
        .filter((r) => JSON.stringify(r.raw.headers).includes(s) || r.raw.body.includes(s))
        .map((r) => `AWS ${r.action} request`),
      ...(text.includes(s) ? ['this output'] : []),
    ]);
    if (leaks.length > 0) {
      console.error(`FAIL: a full secret appeared in: ${[...new Set(leaks)].join(', ')}`);
      return 1;
    }
    const ok = issue !== undefined && run.outputs['live-keys'] === '1' && comment !== undefined;
    console.log(text);
    console.log();
    console.log(
      ok
        ? bold('No full secret appears in the log, outputs, summary, SARIF, report, issue or any request.')
        : bold(
            'FAIL: the action did not verify the key, open an incident and comment on the PR (see above).',
          ),
    );
    return ok ? 0 : 1;
  } finally {
    await aws.close();
    await gh.close();
    world.cleanup();
  }
}

main(process.argv[2] ?? '').then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exitCode = 1;
  },
);
