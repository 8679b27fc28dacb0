import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Ada Tester',
  GIT_AUTHOR_EMAIL: 'ada@example.com',
  GIT_COMMITTER_NAME: 'Ada Tester',
  GIT_COMMITTER_EMAIL: 'ada@example.com',
};

/** A real git repository in a temp dir, with a few verbs for building histories in tests. */
export class TestRepo {
  private tick = 0;
  private constructor(readonly dir: string) {}

  static create(opts: { bare?: boolean; branch?: string } = {}): TestRepo {
    const dir = mkdtempSync(join(tmpdir(), 'keyleak-test-'));
    const repo = new TestRepo(dir);
    repo.git('init', '-q', `--initial-branch=${opts.branch ?? 'main'}`, ...(opts.bare ? ['--bare'] : []));
    return repo;
  }

  git(...args: string[]): string {
    // Deterministic, increasing dates so "first introduction" is well defined.
    const date = new Date(Date.UTC(2024, 0, 1) + this.tick * 60_000).toISOString();
    return execFileSync('git', args, {
      cwd: this.dir,
      env: { ...ENV, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    });
  }

  write(path: string, content: string | Buffer): this {
    const full = join(this.dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    return this;
  }

  remove(path: string): this {
    unlinkSync(join(this.dir, path));
    return this;
  }

  /** Stages everything and commits; returns the new commit's SHA. */
  commit(message: string, files: Record<string, string | Buffer | null> = {}): string {
    for (const [p, c] of Object.entries(files)) {
      if (c === null) this.remove(p);
      else this.write(p, c);
    }
    this.git('add', '-A');
    this.tick++;
    this.git('commit', '-q', '--allow-empty', '-m', message);
    return this.head();
  }

  head(rev = 'HEAD'): string {
    return this.git('rev-parse', rev).trim();
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
