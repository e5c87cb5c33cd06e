/**
 * The few parts of the PostgreSQL frontend/backend protocol (v3) the embedded bridge looks at.
 * Everything else passes through as bytes.
 */

export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;
/** Sync: 'S', length 4. */
export const SYNC_MESSAGE = new Uint8Array([0x53, 0, 0, 0, 4]);

/** Complete typed messages (type byte + int32 length) at the front of `bytes`, and what is left. */
export function splitFrontendMessages(bytes: Buffer): { messages: Buffer[]; rest: Buffer } {
  return splitTyped(bytes);
}

export function splitBackendMessages(bytes: Buffer): { messages: Buffer[]; rest: Buffer } {
  return splitTyped(bytes);
}

function splitTyped(bytes: Buffer): { messages: Buffer[]; rest: Buffer } {
  const messages: Buffer[] = [];
  let offset = 0;
  while (bytes.length - offset >= 5) {
    const length = bytes.readInt32BE(offset + 1);
    if (length < 4) throw new Error(`malformed protocol message: length ${length}`);
    const end = offset + 1 + length;
    if (end > bytes.length) break;
    messages.push(bytes.subarray(offset, end));
    offset = end;
  }
  return { messages, rest: bytes.subarray(offset) };
}

/** The transaction status of a ReadyForQuery ('Z') message: 'I', 'T' or 'E'; null for others. */
export function readyForQueryStatus(message: Buffer): string | null {
  return message[0] === 0x5a && message.length >= 6 ? String.fromCharCode(message[5]!) : null;
}

/** The channel of a NotificationResponse ('A': pid, channel, payload); null for other messages. */
export function notificationChannel(message: Buffer): string | null {
  if (message[0] !== 0x41) return null;
  const start = 9;
  const end = message.indexOf(0, start);
  return end < 0 ? null : message.toString('utf8', start, end);
}

/**
 * LISTEN / UNLISTEN in a simple Query message, with the channel as PostgreSQL folds it
 * (unquoted names lower-cased). Null for any other statement.
 */
export function listenCommand(message: Buffer): { kind: 'listen' | 'unlisten'; channel: string } | null {
  const text = message.toString('utf8', 5, message.length - 1);
  const match = /^\s*(LISTEN|UNLISTEN)\s+("((?:[^"]|"")+)"|\*|[A-Za-z_][A-Za-z0-9_$]*)\s*;?\s*$/i.exec(text);
  if (!match) return null;
  const kind = match[1]!.toLowerCase() === 'listen' ? 'listen' : 'unlisten';
  const channel = match[3] !== undefined ? match[3].replaceAll('""', '"') : match[2]!.toLowerCase();
  return { kind, channel };
}

/**
 * Prefixes the non-empty statement and portal names of Parse, Bind, Describe, Close and
 * Execute messages, calling `onName` with each prefixed statement name. Unnamed ones stay unnamed.
 */
export function prefixStatementNames(message: Buffer, prefix: string, onName: (prefixedName: string) => void): Buffer {
  const type = String.fromCharCode(message[0]!);
  const body = message.subarray(5);
  const parts: Buffer[] = [];
  let offset = 0;
  const takeName = (isStatement: boolean) => {
    const end = body.indexOf(0, offset);
    if (end < 0) throw new Error(`malformed ${type} message: unterminated name`);
    const name = body.toString('utf8', offset, end);
    offset = end + 1;
    const renamed = name === '' ? '' : prefix + name;
    if (renamed !== '' && isStatement) onName(renamed);
    parts.push(Buffer.from(`${renamed}\0`, 'utf8'));
  };
  switch (type) {
    case 'P': // Parse: statement name, query, parameter types
      takeName(true);
      break;
    case 'B': // Bind: portal name, statement name, ...
      takeName(false);
      takeName(true);
      break;
    case 'D': // Describe / Close: 'S' or 'P', then the name
    case 'C': {
      const kind = body[0];
      parts.push(body.subarray(0, 1));
      offset = 1;
      takeName(kind === 0x53);
      break;
    }
    case 'E': // Execute: portal name, row limit
      takeName(false);
      break;
    default:
      return message;
  }
  parts.push(body.subarray(offset));
  const newBody = Buffer.concat(parts);
  const header = Buffer.alloc(5);
  header[0] = message[0]!;
  header.writeInt32BE(newBody.length + 4, 1);
  return Buffer.concat([header, newBody]);
}
