import { isOn } from '../../cli/virtualbox/lab-vm';

/*
 * Every VMState `showvminfo --machinereadable` can print, as VBoxManageInfo.cpp machineStateToName
 * (fShort) writes them (VirtualBox/virtualbox commit 44a0f07f, $Id r109948). A VM without a VM
 * process: the states before MachineState_FirstOnline in VirtualBox.xidl (PoweredOff, Saved,
 * Teleported, Aborted, AbortedSaved; unverified at that commit). Every other state, online or
 * transient (setting up, offline snapshotting, restoring a snapshot), holds the VM's session.
 */
const WITHOUT_VM_PROCESS = ['poweroff', 'saved', 'teleported', 'aborted', 'aborted-saved'];
const HOLDING_A_SESSION = [
  'running',
  'paused',
  'gurumeditation',
  'teleporting',
  'livesnapshotting',
  'starting',
  'stopping',
  'saving',
  'restoring',
  'teleportingpausedvm',
  'teleportingin',
  'deletingsnapshotlive',
  'deletingsnapshotlivepaused',
  'onlinesnapshotting',
  'restoringsnapshot',
  'deletingsnapshot',
  'settingup',
  'snapshotting',
];

describe('which VM states count as on (the VM holds its session)', () => {
  test.each(WITHOUT_VM_PROCESS)('%s: off', (state) => expect(isOn({ state })).toBe(false));
  test.each(HOLDING_A_SESSION)('%s: on', (state) => expect(isOn({ state })).toBe(true));
  test('a VM that is not registered is not on', () => expect(isOn({ state: 'absent' })).toBe(false));
});
