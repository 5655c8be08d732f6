/**
 * Chat's Compare: one prompt to two models, answered one after the other with the same sampling settings and
 * the same seed, so that the answers differ by the models alone: the base model and a run's adapter, or two
 * runs' adapters. Each answer streams into its own column.
 */
import type { BoardClient } from '../../src-main/protocol/board-api';
import type { BackendChoice } from '../../src-main/protocol/engine-types';
import { messageOf } from './failure-message';
import type { RunsState } from './runs-state.svelte';

/** A model to ask: the base model alone (run null), or the base with a run's adapter. */
export interface CompareSide {
  readonly run: string | null;
  readonly model: string;
  readonly adapter: string | null;
}

export interface CompareAnswer {
  readonly side: CompareSide;
  text: string;
  state: 'waiting' | 'streaming' | 'done' | 'stopped' | 'failed';
  tokensPerSecond: number | null;
  error: string | null;
}

export interface CompareRound {
  readonly prompt: string;
  readonly seed: number;
  readonly answers: CompareAnswer[];
}

export interface SamplingSettings {
  readonly system: string;
  readonly maxNewTokens: number;
  readonly temperature: number;
  readonly topP: number;
}

export class CompareChatState {
  /** Run ids of the two columns; null is the base model alone. */
  left = $state<string | null>(null);
  right = $state<string | null>(null);
  rounds = $state<CompareRound[]>([]);
  draft = $state('');
  streaming = $state(false);
  stopping = $state(false);
  /** The answer chat:token goes to. */
  private answering: CompareAnswer | null = null;

  constructor(
    private readonly client: BoardClient,
    private readonly runs: RunsState,
    private readonly baseModel: () => string,
  ) {}

  listen(): () => void {
    return this.client.on('chat:token', ({ text }) => {
      if (this.answering) this.answering.text += text;
    });
  }

  /** Entering Compare: the base model against the run chosen for chat, unless columns were chosen already. */
  prepare(): void {
    if (this.left === null && this.right === null) this.right = this.runs.selected?.id ?? this.runs.completed[0]?.id ?? null;
  }

  /** The model of a column: a run's adapter on its own base model; the base alone is the other column's base (or the Model tab's). */
  side(run: string | null, other: string | null): CompareSide {
    const found = run === null ? null : this.runs.completed.find((r) => r.id === run);
    if (found) return { run: found.id, model: found.model, adapter: found.outputDir };
    const otherRun = this.runs.completed.find((r) => r.id === other);
    return { run: null, model: otherRun?.model ?? this.baseModel(), adapter: null };
  }

  get sides(): [CompareSide, CompareSide] {
    return [this.side(this.left, this.right), this.side(this.right, this.left)];
  }

  /** Two different models to compare. */
  get ready(): boolean {
    const [a, b] = this.sides;
    return a.model !== '' && b.model !== '' && (a.run !== b.run || a.model !== b.model);
  }

  async send(settings: SamplingSettings, backend: BackendChoice): Promise<void> {
    const prompt = this.draft.trim();
    if (!prompt || this.streaming || !this.ready) return;
    this.draft = '';
    const seed = Math.floor(Math.random() * 2 ** 31);
    const messages = [...(settings.system.trim() ? [{ role: 'system' as const, content: settings.system.trim() }] : []), { role: 'user' as const, content: prompt }];
    this.rounds.push({ prompt, seed, answers: this.sides.map((side) => ({ side, text: '', state: 'waiting', tokensPerSecond: null, error: null })) });
    const round = this.rounds.at(-1)!;
    this.streaming = true;
    try {
      for (const answer of round.answers) {
        if (this.stopping) {
          answer.state = 'stopped';
          continue;
        }
        await this.ask(answer, { messages, seed, settings, backend });
      }
    } finally {
      this.answering = null;
      this.streaming = false;
      this.stopping = false;
    }
  }

  private async ask(answer: CompareAnswer, o: { messages: Array<{ role: 'system' | 'user'; content: string }>; seed: number; settings: SamplingSettings; backend: BackendChoice }): Promise<void> {
    this.answering = answer;
    answer.state = 'streaming';
    const { model, adapter } = answer.side;
    try {
      const result = await this.client.invoke('chat:send', { model, adapter, messages: o.messages, maxNewTokens: o.settings.maxNewTokens, temperature: o.settings.temperature, topP: o.settings.topP, seed: o.seed, backend: o.backend });
      answer.text = result.text;
      answer.tokensPerSecond = result.tokensPerSecond;
      answer.state = this.stopping ? 'stopped' : 'done';
    } catch (err) {
      answer.error = messageOf(err);
      answer.state = 'failed';
    } finally {
      this.answering = null;
    }
  }

  async cancel(): Promise<void> {
    if (!this.streaming || this.stopping) return;
    this.stopping = true;
    try {
      await this.client.invoke('chat:cancel', {});
    } catch {
      // The reply ended meanwhile: nothing is left to stop.
    }
  }

  clear(): void {
    if (!this.streaming) this.rounds = [];
  }
}
