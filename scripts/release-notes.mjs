// Checks that a version is ready to release and prints its notes: `node scripts/release-notes.mjs 1.2.3`.
// The release workflow runs it before tagging, so a tag never points at a commit whose package.json or
// CHANGELOG.md says something else.
import { readFileSync } from 'node:fs';

/** The CHANGELOG section of `version`, or an error naming what is missing. */
export function releaseNotes(version, packageJson, changelog) {
  if (!/^\d+\.\d+\.\d+$/.test(version)) {
    return { error: `version '${version}' is not X.Y.Z (e.g. 1.2.0; the tag gets the v)` };
  }
  const declared = JSON.parse(packageJson).version;
  if (declared !== version) {
    return { error: `package.json says version ${declared}, not ${version}: bump it in the release commit` };
  }
  const lines = changelog.split('\n');
  const start = lines.findIndex((l) => l.trim() === `## ${version}`);
  if (start < 0) {
    return {
      error: `CHANGELOG.md has no '## ${version}' section: rename '## Unreleased' in the release commit`,
    };
  }
  let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  if (end < 0) end = lines.length;
  const notes = lines
    .slice(start + 1, end)
    .join('\n')
    .trim();
  if (notes === '') return { error: `CHANGELOG.md's '## ${version}' section is empty` };
  return { notes: notes + '\n' };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = releaseNotes(
    process.argv[2] ?? '',
    readFileSync('package.json', 'utf8'),
    readFileSync('CHANGELOG.md', 'utf8'),
  );
  if (r.error) {
    process.stderr.write(`release: ${r.error}\n`);
    process.exit(2);
  }
  process.stdout.write(r.notes);
}
