import { isUtf8 } from 'node:buffer';
import type { FileHandle } from 'node:fs/promises';
import { BufferedFileReader } from './buffered-file-reader.js';
import type { DbfHeader } from './dbf-header.js';

/** Records scanned per read: about 64 KiB at a time, whatever the record size. */
const SCAN_BYTES = 64 * 1024;

/**
 * Whether every character field of every record is valid UTF-8 (pure ASCII is). A .dbf that names
 * no encoding is taken as UTF-8 when this holds, else as GB18030, the encoding of Chinese
 * deliveries from Windows tools. GBK text is valid UTF-8 only by accident: its two-byte
 * characters would have to fall, every one of them, on UTF-8's lead/continuation pattern, which
 * happens for a short string now and then but not across a table of Chinese names.
 *
 * Reads the whole table once, a chunk at a time, and stops at the first invalid field.
 */
export async function isDbfTextUtf8(handle: FileHandle, header: DbfHeader): Promise<boolean> {
  const textFields = header.fields.filter((field) => field.type === 'C');
  if (textFields.length === 0 || header.recordCount === 0) return true;
  const reader = new BufferedFileReader(handle, header.headerBytes, SCAN_BYTES + header.recordBytes);
  const recordsPerRead = Math.max(1, Math.floor(SCAN_BYTES / header.recordBytes));
  for (let done = 0; done < header.recordCount; done += recordsPerRead) {
    const count = Math.min(recordsPerRead, header.recordCount - done);
    const records = await reader.read(count * header.recordBytes);
    for (let at = 0; at + header.recordBytes <= records.length; at += header.recordBytes) {
      for (const field of textFields) {
        if (!isUtf8(records.subarray(at + field.offset, at + field.offset + field.length))) return false;
      }
    }
  }
  return true;
}
