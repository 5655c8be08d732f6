/**
 * How often the Linux kernel's out-of-memory killer has ended a process (/proc/vmstat's oom_kill, Linux 4.13 and
 * later): an engine process killed by SIGKILL while the count went up was ended for memory, not from outside.
 */
import { readFileSync } from 'node:fs';

/** The count so far; null where the system does not keep it. */
export function oomKillCount(): number | null {
  try {
    const found = /^oom_kill (\d+)$/m.exec(readFileSync('/proc/vmstat', 'utf8'));
    return found ? Number(found[1]) : null;
  } catch {
    return null;
  }
}
