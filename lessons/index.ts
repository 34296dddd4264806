import { Lesson } from '../cli/lesson/lesson';
import { breakFix } from './break-fix';
import { haServerDown } from './ha-server-down';
import { hpa } from './hpa';
import { networkPolicy } from './network-policy';
import { nodeDown } from './node-down';
import { podsOnNodes } from './pods-on-nodes';
import { rollout } from './rollout';
import { serviceIngress } from './service-ingress';
import { storage } from './storage';

/** Every lesson, in the order a learner meets them: a new lesson is one file and a line here. */
export const LESSONS: readonly Lesson[] = [podsOnNodes, rollout, serviceIngress, hpa, nodeDown, networkPolicy, storage, breakFix, haServerDown];
