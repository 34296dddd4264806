import { problemsOf } from '../support/config-problems';

/**
 * A proxy URL with credentials would put a secret into every VM (apt, /etc/environment, K3s's
 * env file) and into Terraform's state through the step triggers: any half of them is refused.
 */
describe('proxy URLs with credentials are refused, whichever half is present', () => {
  test.each([
    ['user and password', 'http', 'http://me:secret@proxy.corp:3128'],
    ['a user name alone', 'http', 'http://me@proxy.corp:3128'],
    ['a password alone', 'http', 'http://:secret@proxy.corp:3128'],
    ['on the https proxy', 'https', 'http://me@proxy.corp:3128'],
  ])('%s', (_, key, url) => {
    const proxy = key === 'http' ? { http: url } : { http: 'http://proxy.corp:3128', https: url };
    expect(problemsOf({ proxy })).toEqual([expect.stringMatching(new RegExp(`^proxy\\.${key} = ".*": must not hold a user name or password`))]);
  });

  test('the same proxy without credentials is accepted', () => {
    expect(() => problemsOf({ proxy: { http: 'http://proxy.corp:3128', https: 'http://proxy.corp:3129' } })).toThrow('expected the config to be rejected');
  });
});
