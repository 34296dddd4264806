import { STACK_NAMES } from '../../lab';
import { synthLab } from './synth-lab';

/**
 * The whole synthesized lab, for review of a change (`npm run test:update` shows it as a diff).
 * Kept apart from the behaviour tests in stacks.test.ts: mutation testing of constructs/ and
 * stacks/ (jest.mutation.constructs.config.js) runs those, not this, so a mutant counts as
 * killed only when a test that states a behaviour fails, not because the output differs.
 */
const lab = synthLab();

describe('the synthesized lab', () => {
  test.each(STACK_NAMES)('stack %s matches its snapshot', (name) => {
    expect(lab.stacks[name]).toMatchSnapshot();
  });
});
