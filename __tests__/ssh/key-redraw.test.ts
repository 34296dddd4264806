import { utils } from 'ssh2';
import { readableKeyPair } from '../../cli/ssh/keys';

/**
 * ssh2 1.17.0's generateKeyPairSync('ed25519') sometimes makes a pair its own parser rejects
 * (mscdex/ssh2 #1390/#1513). Which half is unreadable varies, so a redraw must check both.
 */
describe('readableKeyPair draws again until both halves read back', () => {
  const good = utils.generateKeyPairSync('ed25519');
  afterEach(() => jest.restoreAllMocks());

  test.each([
    ['an unreadable private half', { private: '-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----\n', public: good.public }],
    ['an unreadable public half', { private: good.private, public: 'ssh-ed25519 AAAAnotakey' }],
  ])('%s is drawn again', (_, bad) => {
    const second = utils.generateKeyPairSync('ed25519');
    const draw = jest.spyOn(utils, 'generateKeyPairSync').mockReturnValueOnce(bad as never).mockReturnValueOnce(second as never);
    expect(readableKeyPair()).toEqual(second);
    expect(draw).toHaveBeenCalledTimes(2);
  });
});
