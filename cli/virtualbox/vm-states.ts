/**
 * The VMState values VirtualBox reports for a VM that has no VM process
 * (VBoxManageInfo.cpp machineStateToName, $Id r109948, VirtualBox/virtualbox commit
 * 44a0f07f): everything else — running, paused, gurumeditation, stopping,
 * livesnapshotting, onlinesnapshotting, deletingsnapshotlive, teleporting…, and the
 * transient settingup/snapshotting/restoringsnapshot states — holds the VM's session.
 */
export const OFF_STATES: ReadonlySet<string> = new Set(['poweroff', 'saved', 'aborted', 'aborted-saved', 'teleported']);
