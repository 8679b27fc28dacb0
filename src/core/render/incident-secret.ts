import { WITHHELD_NOTE } from '../disclosure.js';
import { GENERATED_END, stateComment, stateOf } from '../incident.js';
import { incidentMarker } from '../incident-wire.js';
import type { LoneSecret, Location } from '../types.js';
import { mdCode, mdText, mdUrl } from './escape.js';
import type { IncidentContext } from './incident.js';
import {
  historySection,
  PEOPLE_STEPS,
  RESOURCES_STEP,
  runbookSection,
  whereSection,
  type HistoryWords,
  type Step,
} from './incident-common.js';

/**
 * The incident of a secret access key found without its key id. keyleak cannot verify it (STS needs the
 * key id) nor contain it (IAM deactivates a key by its id), so nothing in its runbook is ever ticked by
 * keyleak: the first step is finding the key id, by the key's last use in IAM.
 */

/** The title: the secret's first characters only (its redacted form), or on a public repository nothing. */
export function renderLoneSecretTitle(s: LoneSecret, ctx?: Pick<IncidentContext, 'withheld'>): string {
  if (ctx?.withheld) return `Leaked AWS secret access key found (${s.fingerprint.slice(-8)})`;
  const start = s.secretRedacted ? ` ${s.secretRedacted.slice(0, 4)}…` : '';
  return `Leaked AWS secret access key${start} without its key id (not verified)`;
}

function statusSection(s: LoneSecret, ctx: IncidentContext): string[] {
  const verdict = ctx.withheld
    ? `**not said here**: ${WITHHELD_NOTE}. Treat the key as live.`
    : '**not verified**: this AWS secret access key was found without its key id (nothing in its file version or commit names one), and STS needs the key id to check it. Treat the key as live until its owner has rotated it.';
  const rows: [string, string][] = [
    ['Key id', 'unknown: find it in IAM (runbook step 1)'],
    [
      'Secret',
      ctx.withheld
        ? 'not said here (public repository)'
        : s.secretRedacted
          ? `${mdCode(s.secretRedacted)}, labelled as an AWS secret access key`
          : 'labelled as an AWS secret access key',
    ],
    ['Fingerprint', mdCode(s.fingerprint)],
    ['Containment', "nothing was done: keyleak deactivates a key by its id, and this secret's is unknown"],
    [
      'Last checked',
      ctx.runUrl ? `${mdText(ctx.checkedAt)} ([run](${mdUrl(ctx.runUrl)}))` : mdText(ctx.checkedAt),
    ],
  ];
  return [
    '## Status',
    '',
    `Verdict: ${verdict}`,
    '',
    '| | |',
    '| --- | --- |',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '',
  ];
}

/** The oldest location: when, where and by whom the secret was first committed, for finding its key. */
function firstSeen(s: LoneSecret): Location | null {
  return s.locations.find((l) => l.commit !== null) ?? s.locations[0] ?? null;
}

function hint(s: LoneSecret): string {
  const first = firstSeen(s);
  if (!first) return '';
  const by = first.author ? ` by ${mdText(first.author.replace(/\s*<[^>]*>\s*$/, ''))}` : '';
  const on = first.date ? ` on ${mdText(first.date)}` : '';
  const what = first.path !== null ? ` in ${mdCode(first.path)}` : '';
  if (!by && !on) return '';
  return ` _keyleak: first committed${what}${by}${on}; ask them where the value came from (a CI variable, a secret store, a profile in \`~/.aws/credentials\`)._`;
}

function runbookSteps(s: LoneSecret): Step[] {
  const first = firstSeen(s);
  const since = first?.date ? mdText(first.date) : 'the date of the commit';
  return [
    {
      id: 'find-key',
      text: `**Find the key id** in the AWS accounts the repository's owners use. In the IAM credential report (\`aws iam generate-credential-report\`, then \`aws iam get-credential-report --query Content --output text | base64 --decode | cut -d, -f1,9-18\`) a key that is active and was created (\`access_key_N_last_rotated\`) before ${since} is a candidate, the more so when its last use (date, service, region) fits how the repository uses it; \`aws iam list-access-keys --user-name USER\` names its id.${hint(s)}`,
      done: null,
    },
    {
      id: 'rotate',
      text: "**Rotate the key, then deactivate it** (and delete it later) under its owner's security credentials: create a new key, put it where this one was used (through a secret store), then `aws iam update-access-key --status Inactive --access-key-id KEY_ID --user-name USER`. keyleak cannot do this for a key whose id it does not know.",
      done: null,
    },
    {
      id: 'channel',
      text: '**Open a dedicated incident channel or thread** and ask the people listed above to join.',
      done: null,
    },
    {
      id: 'access',
      text: `**Once the key id is known, find unauthorised access in CloudTrail, in every region** since ${since}: \`keyleak trail --key KEY_ID --regions all\` summarises it (or \`aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue=KEY_ID\`). Look for new IAM users, access keys, login profiles, policies, roles and temporary credentials; revoke sessions minted from the key with a deny on \`aws:TokenIssueTime\`.`,
      done: null,
    },
    {
      id: 'resources',
      text: RESOURCES_STEP,
      done: null,
    },
    ...PEOPLE_STEPS,
    {
      id: 'history',
      text: '**Clean up the history** (optional, and only after the key is rotated): see *Remove it from history* below.',
      done: null,
    },
  ];
}

/** What "Remove it from history" says of a secret found without its key id. */
const SECRET_HISTORY_WORDS: HistoryWords = {
  cleanup: 'the key stays valid, and copies (clones, forks, caches) keep its secret. Rotate it first.',
  what: 'the secret',
  byHand:
    '`keyleak rewrite-plan --format sh` in a checkout writes a script that reads the secret back from these commits and removes it. By hand, in a fresh mirror clone (the expressions file holds the secret, one line; keep it out of any repository):',
  check:
    "git rev-list --objects --all --no-object-names | git cat-file --batch | grep -a -c -F -f <(sed 's/==>.*//' ../expressions.txt)   # must print 0",
};

/** The whole body of a lone secret's incident, markers included. Holds the redacted form only. */
export function renderLoneSecretBody(s: LoneSecret, ctx: IncidentContext): string {
  return [
    incidentMarker(s.fingerprint),
    stateComment(stateOf(s, null, ctx.checkedAt)),
    '',
    ...statusSection(s, ctx),
    ...whereSection(s.locations, ctx),
    ...runbookSection(runbookSteps(s), ctx.contacts),
    ...historySection(s.locations, ctx, SECRET_HISTORY_WORDS),
    GENERATED_END,
    '',
  ].join('\n');
}
