import { expect } from 'chai';
import { listenCommand, notificationChannel, prefixStatementNames, splitFrontendMessages } from '../../../../core/db/embedded/wire-protocol.js';

function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}
const query = (text: string) => message('Q', Buffer.from(`${text}\0`));

describe('embedded bridge: the protocol messages it reads', () => {
  it('splits whole messages and keeps a partial one for later', () => {
    const bytes = Buffer.concat([query('SELECT 1'), query('SELECT 2').subarray(0, 7)]);
    const { messages, rest } = splitFrontendMessages(bytes);
    expect(messages).to.have.length(1);
    expect(rest.length).to.equal(7);
  });

  it('reads LISTEN and UNLISTEN channels as PostgreSQL folds them', () => {
    expect(listenCommand(query('LISTEN planmap_publish'))).to.deep.equal({ kind: 'listen', channel: 'planmap_publish' });
    expect(listenCommand(query('listen Planmap_Publish;'))).to.deep.equal({ kind: 'listen', channel: 'planmap_publish' });
    expect(listenCommand(query('LISTEN "Mixed Case"'))).to.deep.equal({ kind: 'listen', channel: 'Mixed Case' });
    expect(listenCommand(query('UNLISTEN *'))).to.deep.equal({ kind: 'unlisten', channel: '*' });
    expect(listenCommand(query('SELECT 1; LISTEN x'))).to.equal(null);
  });

  it('prefixes named statements in Parse and Bind, and leaves unnamed ones unnamed', () => {
    const parse = message('P', Buffer.concat([Buffer.from('tile\0SELECT $1\0'), Buffer.from([0, 0])]));
    const seen: string[] = [];
    const renamed = prefixStatementNames(parse, 'c7_', (name) => seen.push(name));
    expect(renamed.toString('utf8', 5, renamed.length - 2)).to.equal('c7_tile\0SELECT $1\0');
    expect(renamed.readInt32BE(1)).to.equal(renamed.length - 1);
    expect(seen).to.deep.equal(['c7_tile']);
    const bind = message('B', Buffer.concat([Buffer.from('\0\0'), Buffer.from([0, 0, 0, 0, 0, 0])]));
    expect(prefixStatementNames(bind, 'c7_', () => undefined).equals(bind)).to.equal(true);
  });

  it('reads the channel of a notification', () => {
    const notification = message('A', Buffer.concat([Buffer.from([0, 0, 0, 42]), Buffer.from('planmap_publish\0landuse:3\0')]));
    expect(notificationChannel(notification)).to.equal('planmap_publish');
    expect(notificationChannel(query('SELECT 1'))).to.equal(null);
  });
});
