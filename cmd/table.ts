/**
 * Human tables for commands like `wiremesh peers`: a header row and aligned columns separated by two spaces,
 * numbers right-aligned, missing values shown as `-`, no trailing spaces. Cells may hold text that came from
 * the network (addresses, names), so control characters are replaced: a peer must not be able to move the
 * cursor or recolour an operator's terminal.
 */
import { TABLE_COLUMN_GAP } from './constants.js';

export interface TableColumn<R> {
  header: string;
  /** The cell of `row`; undefined or null prints `-`. */
  value: (row: R) => string | number | bigint | boolean | null | undefined;
  /** Default: right for numbers, left otherwise. */
  align?: 'left' | 'right';
}

const MISSING = '-';

/** Text with C0/C1 control characters (ESC, BEL, CR, ...) replaced by `?`. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** Width in terminal columns, counting code points (the tables hold ASCII ids and addresses). */
const width = (text: string): number => [...text].length;

/** The table as text, one line per row plus the header, each ending in a newline. */
export function formatTable<R>(rows: readonly R[], columns: readonly TableColumn<R>[]): string {
  const cells = rows.map((row) =>
    columns.map((column) => {
      const value = column.value(row);
      return {
        text: value === undefined || value === null ? MISSING : printable(String(value)),
        numeric: typeof value === 'number' || typeof value === 'bigint',
      };
    }),
  );
  const widths = columns.map((column, i) => Math.max(width(column.header), ...cells.map((row) => width(row[i]!.text))));
  const rightAligned = columns.map((column, i) => column.align === 'right' || (column.align === undefined && cells.length > 0 && cells.every((row) => row[i]!.numeric || row[i]!.text === MISSING)));
  const gap = ' '.repeat(TABLE_COLUMN_GAP);
  const line = (texts: readonly string[]): string =>
    texts
      .map((text, i) => {
        const pad = ' '.repeat(widths[i]! - width(text));
        return rightAligned[i] ? pad + text : text + pad;
      })
      .join(gap)
      .trimEnd() + '\n';
  return line(columns.map((c) => printable(c.header))) + cells.map((row) => line(row.map((c) => c.text))).join('');
}
