import { execFile } from 'node:child_process';
import { totalmem } from 'node:os';
import * as tf from './tf';
import { isGpuBackend, type BackendName, type MemoryReading } from '../../protocol/engine-types';

/**
 * Reads memory in use: on a GPU backend, nvidia-smi's figure for the device when nvidia-smi exists, else the
 * backend's own allocation counter; on CPU backends, the process's resident memory. nvidia-smi is queried
 * at most once a second so charting every step costs nothing.
 */
export class MemoryProbe {
  private nvidiaSmi: boolean;
  private last: { at: number; reading: MemoryReading } | null = null;
  peak = 0;

  constructor(private readonly backend: BackendName) {
    this.nvidiaSmi = isGpuBackend(backend);
  }

  async read(): Promise<MemoryReading> {
    const now = Date.now();
    if (this.last && now - this.last.at < 1000) return this.last.reading;
    const reading = (this.nvidiaSmi ? await this.fromNvidiaSmi() : null) ?? this.fromBackend();
    this.peak = Math.max(this.peak, reading.used);
    this.last = { at: now, reading };
    return reading;
  }

  private fromBackend(): MemoryReading {
    if (isGpuBackend(this.backend)) return { kind: 'gpu', source: 'backend', used: tf.memory().numBytes, total: null };
    return { kind: 'process', source: 'process', used: process.memoryUsage().rss, total: totalmem() };
  }

  private fromNvidiaSmi(): Promise<MemoryReading | null> {
    return new Promise((done) => {
      execFile('nvidia-smi', ['--query-gpu=memory.used,memory.total', '--format=csv,noheader,nounits'], { timeout: 2000 }, (err, stdout) => {
        const [used, total] = (stdout ?? '').split('\n')[0]!.split(',').map((s) => Number(s.trim()) * 1024 * 1024);
        if (err || !Number.isFinite(used) || !Number.isFinite(total)) {
          this.nvidiaSmi = false;
          done(null);
        } else {
          done({ kind: 'gpu', source: 'nvidia-smi', used: used!, total: total! });
        }
      });
    });
  }
}

/** The process's peak resident memory so far, in bytes. */
export const peakResidentBytes = () => process.resourceUsage().maxRSS * 1024;
