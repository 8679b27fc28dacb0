import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RepoLister } from '../../src/commands/ports-org.js';
import type { RepoRecord } from '../../src/core/org/select.js';
import { TestRepo } from '../helpers/repo.js';

/**
 * Many small real repositories, made fast: one template history is built with git once, packed, and
 * copied directory by directory (a bare repository is just files). Clone URLs are their paths.
 */
export class Fleet {
  readonly records: RepoRecord[] = [];
  /** A work repository for building new commits to push into fleet members. */
  readonly work: TestRepo;
  private constructor(
    readonly root: string,
    private readonly template: string,
  ) {
    this.work = TestRepo.create();
  }

  static create(owner = 'acme'): Fleet {
    const root = mkdtempSync(join(tmpdir(), 'keyleak-fleet-'));
    const src = TestRepo.create();
    src.commit('init', { 'README.md': '# service\n', 'src/index.js': 'console.log("hi")\n' });
    src.commit('config', { 'config/app.yml': 'region: eu-west-1\n' });
    src.git('tag', '-a', 'v1.0.0', '-m', 'first release');
    src.commit('more', { 'src/index.js': 'console.log("hello")\n' });
    const template = join(root, '_template.git');
    execFileSync('git', ['clone', '-q', '--bare', src.dir, template]);
    execFileSync('git', ['repack', '-adq'], { cwd: template });
    execFileSync('git', ['prune-packed'], { cwd: template });
    rmSync(join(template, 'hooks'), { recursive: true, force: true });
    src.cleanup();
    mkdirSync(join(root, owner));
    const fleet = new Fleet(root, template);
    fleet.work.git('fetch', '-q', template, '+refs/heads/*:refs/remotes/template/*', '--tags');
    return fleet;
  }

  /** Adds a repository copied from the template; `over` sets its listing fields. */
  add(fullName: string, over: Partial<RepoRecord> = {}): RepoRecord {
    const path = join(this.root, `${fullName}.git`);
    cpSync(this.template, path, { recursive: true });
    const r: RepoRecord = {
      fullName,
      id: 100_000 + this.records.length,
      archived: false,
      fork: false,
      visibility: 'private',
      topics: [],
      defaultBranch: 'main',
      cloneUrl: path,
      sizeKb: 12,
      pushedAt: '2026-01-01T00:00:00Z',
      ...over,
    };
    this.records.push(r);
    return r;
  }

  pathOf(r: RepoRecord): string {
    return join(this.root, `${r.fullName}.git`);
  }

  /** Commits `files` on top of `repo`'s main and pushes it there; returns the new commit. */
  push(r: RepoRecord, message: string, files: Record<string, string>): string {
    this.work.git('fetch', '-q', this.pathOf(r), '+refs/heads/main:refs/remotes/target/main');
    this.work.git('checkout', '-q', '-B', 'main', 'refs/remotes/target/main');
    const sha = this.work.commit(message, files);
    this.work.git('push', '-q', this.pathOf(r), 'main:main');
    r.pushedAt = new Date(Date.parse(r.pushedAt ?? '2026-01-01T00:00:00Z') + 60_000).toISOString();
    return sha;
  }

  /** Replaces `repo`'s history with a fresh one (every recorded tip disappears). */
  rewrite(r: RepoRecord, files: Record<string, string>): void {
    this.work.git('checkout', '-q', '--orphan', `rewrite-${r.id}`);
    this.work.git('rm', '-rfq', '--ignore-unmatch', '.');
    this.work.commit('rewritten history', files);
    this.work.git('push', '-q', '--force', this.pathOf(r), `rewrite-${r.id}:main`);
    execFileSync('git', ['tag', '-d', 'v1.0.0'], { cwd: this.pathOf(r), stdio: 'ignore' });
    execFileSync('git', ['gc', '-q', '--prune=now'], { cwd: this.pathOf(r) });
    r.pushedAt = new Date(Date.parse(r.pushedAt ?? '2026-01-01T00:00:00Z') + 60_000).toISOString();
  }

  /** Branch and tag tips of a fleet member, as a clone would record them. */
  tips(r: RepoRecord): string[] {
    return execFileSync('git', ['for-each-ref', '--format=%(objectname)', 'refs/heads', 'refs/tags'], {
      cwd: this.pathOf(r),
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean);
  }

  cleanup(): void {
    this.work.cleanup();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** An in-memory lister that hands records out a page at a time, as the REST API does. */
export class PagedLister implements RepoLister {
  pagesServed = 0;
  constructor(
    private readonly records: () => readonly RepoRecord[],
    private readonly perPage = 100,
  ) {}

  async *listRepositories(owner: string): AsyncIterable<RepoRecord> {
    const all = this.records().filter((r) => r.fullName.startsWith(`${owner}/`));
    for (let page = 0; page * this.perPage < all.length; page++) {
      await new Promise((r) => setImmediate(r));
      this.pagesServed++;
      yield* all.slice(page * this.perPage, (page + 1) * this.perPage);
    }
  }
}
