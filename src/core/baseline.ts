import { isSeq, parseDocument, type YAMLSeq } from 'yaml';
import { parseConfig } from './config.js';
import { UsageError } from './errors.js';

/** A finding to record in the baseline, with the comment written beside its fingerprint. */
export interface BaselineEntry {
  fingerprint: string;
  /** Plain words made by keyleak (kind, locations, date); never text read from the repository. */
  note: string;
}

/**
 * Adds fingerprints to the `baseline:` list of a config file's text (null when there is no file yet),
 * keeping everything else as it was: other fields, their order, comments and blank lines. Fingerprints
 * already listed are left alone. The result is parsed again, so an edit can never leave a config that
 * the next run would reject.
 */
export function addToBaseline(
  text: string | null,
  file: string,
  entries: readonly BaselineEntry[],
): { text: string; added: string[] } {
  const source = text ?? '# keyleak config: https://github.com/keyleak/keyleak-action#config-file\n';
  const current = parseConfig(source, file); // names the line of anything wrong before we touch it
  const doc = parseDocument(source);
  const fresh = entries.filter(
    (e, i) =>
      !current.baseline.has(e.fingerprint) && entries.findIndex((x) => x.fingerprint === e.fingerprint) === i,
  );
  if (fresh.length === 0) return { text: source, added: [] };

  let list = doc.get('baseline', true);
  if (!isSeq(list)) {
    list = doc.createNode([]) as YAMLSeq;
    doc.set('baseline', list);
  }
  const seq = list as YAMLSeq;
  for (const e of fresh) {
    const node = doc.createNode(e.fingerprint);
    node.comment = ` ${e.note.replace(/[\r\n]+/g, ' ')}`;
    seq.add(node);
  }
  // Flow lists elsewhere in the file (`[a, b]`) keep their spacing.
  const out = doc.toString({ flowCollectionPadding: false });
  const check = parseConfig(out, file);
  for (const e of fresh) {
    if (!check.baseline.has(e.fingerprint)) {
      throw new UsageError(
        `${file}: could not add ${e.fingerprint} to the baseline; the file was not changed`,
      );
    }
  }
  return { text: out, added: fresh.map((e) => e.fingerprint) };
}
