import { resolve } from 'node:path';
import { Git } from '../adapters/git.js';
import { renderRewriteMarkdown } from '../core/render/rewrite-markdown.js';
import { renderRewriteScript } from '../core/render/rewrite-sh.js';
import {
  buildRewritePlan,
  commitMessageBytes,
  isCredentialFileName,
  isCredentialsOnly,
  locateValue,
  type RewriteFacts,
  type RewritePlan,
  type SecretSpan,
} from '../core/rewrite-plan.js';
import type { Location, ScanReport } from '../core/types.js';
import type { SecretMaterial } from '../core/findings.js';
import type { ScanResult } from '../scan/result.js';
import type { RewritePlanSettings } from '../settings.js';
import { scanRepository } from './scan.js';

/** What only the caller knows: the action knows the pull requests and the incident; the CLI does not. */
export interface ExtraFacts {
  pullRequestsByCommit?: Record<string, number[]>;
  incidentUrl?: string | null;
  sensitiveDataRemoval?: boolean | null;
}

const COPIES_PER_FORM = 3;

/** The encodings a secret may be stored in, for git grep to find the files worth reading. */
function storedForms(value: string): string[] {
  const url = value.replace(/\+/g, '%2B').replace(/\//g, '%2F').replace(/=/g, '%3D');
  const lower = url.replace(/%2B/g, '%2b').replace(/%2F/g, '%2f').replace(/%3D/g, '%3d');
  return [...new Set([value, value.replace(/\//g, '\\/'), url, lower])];
}

/** What a plan removes: a key (by its id) or a lone secret (by its fingerprint), where it was seen. */
interface Subject {
  id: string;
  locations: Location[];
}

/** The keys and the lone secrets of a report, as the plan removes them. */
function subjectsOf(report: ScanReport): Subject[] {
  return [
    ...report.findings.map((f) => ({ id: f.keyId, locations: f.locations })),
    ...(report.loneSecrets ?? []).map((s) => ({ id: s.fingerprint, locations: s.locations })),
  ];
}

/**
 * Finds, for each finding (and lone secret), where its secret and session token sit in the objects that leaked them: one
 * span per distinct stored form, first in the file versions (and messages) that hold the key id, then in
 * the other files of those commits (a secret paired from a neighbouring file).
 */
async function locateSecrets(git: Git, findings: Subject[], result: ScanResult): Promise<SecretSpan[]> {
  const spans: SecretSpan[] = [];
  const bytesCache = new Map<string, Promise<Buffer>>();
  const read = (commit: string, path: string | null, tag?: string): Promise<Buffer> => {
    const id = `${commit}\0${path ?? ''}`;
    let p = bytesCache.get(id);
    if (!p) {
      // A tag object's message follows its headers as a commit's does.
      p =
        path === null
          ? git.readBytes(commit, tag ? 'tag' : 'commit').then(commitMessageBytes)
          : git.readBytes(`${commit}:${path}`);
      bytesCache.set(id, p);
    }
    return p;
  };
  for (const f of findings) {
    const material = result.secrets.get(f.id);
    if (!material) continue;
    // Only secrets known to be the key's: the one STS accepted, or, before (or without) verification,
    // those the key claims strongly; and every secret labelled as one next to the key either way. A
    // weak candidate may be any 40-character token of a neighbouring file.
    const secretValues = secretsToRemove(material);
    const values: { kind: SecretSpan['kind']; value: string; index: number }[] = [
      ...secretValues.map((value, index) => ({ kind: 'secret' as const, value, index })),
      ...material.sessionTokens.map((value) => ({ kind: 'session-token' as const, value, index: 0 })),
    ];
    const places = new Map<string, { commit: string; path: string | null; tag?: string }>();
    for (const l of f.locations) {
      if (l.commit !== null)
        places.set(`${l.commit}\0${l.path ?? ''}`, {
          commit: l.commit,
          path: l.path,
          ...(l.tag && l.path === null ? { tag: l.tag } : {}),
        });
    }
    for (const v of values) {
      const seenForms = new Map<string, number>();
      const addFrom = async (commit: string, path: string | null, tag?: string) => {
        const bytes = await read(commit, path, tag).catch(() => null);
        if (!bytes) return;
        for (const r of locateValue(bytes, v.value)) {
          // A few copies of each stored form, so that a commit missing from the clone is not fatal.
          const form = bytes.toString('latin1', r.start - 1, r.end);
          const copies = seenForms.get(form) ?? 0;
          if (copies >= COPIES_PER_FORM) continue;
          seenForms.set(form, copies + 1);
          spans.push({
            keyId: f.id,
            kind: v.kind,
            commit,
            path,
            ...(tag ? { tag } : {}),
            line: r.line,
            start: r.start,
            end: r.end,
            ...(v.kind === 'secret' && v.index > 0 ? { value: v.index } : {}),
          });
        }
      };
      for (const p of places.values()) await addFrom(p.commit, p.path, p.tag);
      if (seenForms.size > 0) continue;
      for (const commit of new Set([...places.values()].map((p) => p.commit))) {
        for (const path of await git.filesContaining(commit, storedForms(v.value)))
          await addFrom(commit, path);
        if (seenForms.size > 0) break;
      }
    }
  }
  return spans;
}

/** The secrets a rewrite removes for a key (see locateSecrets). */
export function secretsToRemove(material: SecretMaterial): string[] {
  const base = material.verified ? [material.verified] : (material.strong ?? []);
  return [...new Set([...base, ...(material.labelled ?? [])])];
}

/** Paths named like credential files whose every version, on every branch and tag, is only credentials. */
async function credentialFiles(git: Git, findings: Subject[]): Promise<string[]> {
  const paths = new Set<string>();
  for (const f of findings)
    for (const l of f.locations) if (l.path && isCredentialFileName(l.path)) paths.add(l.path);
  const out: string[] = [];
  for (const path of paths) {
    const blobs = await git.blobsOfPath(path);
    let only = blobs.length > 0;
    for (const oid of blobs) {
      if (!only) break;
      only = isCredentialsOnly((await git.readBytes(oid)).toString('utf8'));
    }
    if (only) out.push(path);
  }
  return out.sort();
}

/** Gathers what the plan needs to know about the repository, through the git adapter. */
export async function gatherRewriteFacts(
  git: Git,
  result: ScanResult,
  extra: ExtraFacts = {},
): Promise<RewriteFacts> {
  const findings = subjectsOf(result.report);
  const commits = [
    ...new Set(findings.flatMap((f) => f.locations.map((l) => l.commit)).filter((c) => c !== null)),
  ];
  const refsByCommit: Record<string, string[]> = {};
  const sharedCommits: string[] = [];
  for (const c of commits) {
    refsByCommit[c] = await git.refsHolding(c, 'local');
    if ((await git.refsHolding(c, 'remote')).length > 0) sharedCommits.push(c);
  }
  return {
    source: (await git.remoteUrl()) ?? resolve(git.dir),
    defaultBranch: await git.defaultBranch(),
    refsByCommit,
    head: await git.headCommit(),
    headBranch: await git.currentBranch(),
    sharedCommits,
    pullRequestsByCommit: extra.pullRequestsByCommit ?? {},
    spans: await locateSecrets(git, findings, result),
    secretsToRemove: Object.fromEntries(
      findings.map((f) => {
        const m = result.secrets.get(f.id);
        return [f.id, m ? secretsToRemove(m).length : 0];
      }),
    ),
    credentialFiles: await credentialFiles(git, findings),
    sensitiveDataRemoval: extra.sensitiveDataRemoval ?? null,
    incidentUrl: extra.incidentUrl ?? null,
  };
}

/** Builds the rewrite plan for the keys, and the secrets without a key id, a scan found in `git`'s history. */
export async function planRewrite(
  git: Git,
  result: ScanResult,
  extra: ExtraFacts = {},
): Promise<RewritePlan> {
  return buildRewritePlan(
    result.report.findings,
    await gatherRewriteFacts(git, result, extra),
    result.report.loneSecrets ?? [],
  );
}

/** `keyleak rewrite-plan`: scans, plans and renders. Returns the rendered plan and the scan's warnings. */
export async function runRewritePlan(s: RewritePlanSettings): Promise<{ text: string; warnings: string[] }> {
  const result = await scanRepository(s);
  // A rewrite must remove every copy: a plan drawn from part of the history would leave the rest.
  if (result.report.incomplete) {
    throw new Error(
      `no rewrite plan: the scan could not see the whole history (${result.report.warnings.join('; ')}). ` +
        'Make the history whole first (`git fetch --unshallow`, fetch what a partial clone left out, or re-clone), then run rewrite-plan again.',
    );
  }
  const git = await Git.open(s.repo);
  const plan = await planRewrite(git, result);
  const text = s.format === 'sh' ? renderRewriteScript(plan) : renderRewriteMarkdown(plan);
  return { text, warnings: result.report.warnings };
}
