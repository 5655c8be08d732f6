/** The host: its app:info, whether it is reachable, and the compute backend chosen for runs, chat and export. */
import type { AppInfo } from '../../src-main/protocol/board-api';
import { BACKEND_CHOICES, type BackendChoice, type BackendReport } from '../../src-main/protocol/engine-types';
import type { BoardConnection } from '../client/board-connection';
import { messageOf } from './failure-message';

const BACKEND_KEY = 'tuneboard.backend';

export class HostState {
  info = $state.raw<AppInfo | null>(null);
  infoError = $state<string | null>(null);
  connected = $state(false);
  /** Whether the host was ever reached: a lost connection is news only after that. */
  everConnected = $state(false);
  backend = $state<BackendChoice>(storedBackend());
  probe = $state.raw<BackendReport | null>(null);
  probeError = $state<string | null>(null);
  probing = $state(false);
  private probeSeq = 0;

  constructor(private readonly client: BoardConnection) {}

  async loadInfo(): Promise<AppInfo | null> {
    try {
      this.info = await this.client.invoke('app:info', {});
      this.infoError = null;
    } catch (err) {
      this.infoError = messageOf(err);
    }
    return this.info;
  }

  setConnected(connected: boolean): void {
    this.connected = connected;
    if (connected) this.everConnected = true;
  }

  async chooseBackend(backend: BackendChoice): Promise<void> {
    this.backend = backend;
    localStorage.setItem(BACKEND_KEY, backend);
    await this.runProbe();
  }

  /** Asks the host which device the chosen backend gets, and why the others were skipped. */
  async runProbe(): Promise<void> {
    const seq = ++this.probeSeq;
    this.probing = true;
    this.probeError = null;
    try {
      const report = await this.client.invoke('backend:probe', { backend: this.backend });
      if (seq === this.probeSeq) this.probe = report;
    } catch (err) {
      if (seq === this.probeSeq) {
        this.probe = null;
        this.probeError = messageOf(err);
      }
    } finally {
      if (seq === this.probeSeq) this.probing = false;
    }
  }
}

function storedBackend(): BackendChoice {
  const saved = localStorage.getItem(BACKEND_KEY);
  return (BACKEND_CHOICES as readonly string[]).includes(saved ?? '') ? (saved as BackendChoice) : 'auto';
}
