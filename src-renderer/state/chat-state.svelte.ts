/** A conversation with the base model, or the base model plus a run's adapter, streamed token by token. */
import type { BoardClient } from '../../src-main/protocol/board-api';
import type { BackendChoice } from '../../src-main/protocol/engine-types';
import { messageOf } from './failure-message';

export interface ChatTurn {
  role: 'user' | 'assistant';
  content: string;
}

export class ChatState {
  /** A conversation, or one prompt to two models side by side (compare-chat-state.svelte.ts). */
  mode = $state<'chat' | 'compare'>('chat');
  turns = $state<ChatTurn[]>([]);
  system = $state('');
  draft = $state('');
  temperature = $state(0.7);
  topP = $state(0.9);
  maxTokens = $state(256);
  /** Whether to load the selected run's adapter on top of the base model. */
  withAdapter = $state(true);
  streaming = $state(false);
  /** Stop was pressed: the host ends the reply after its current token. */
  stopping = $state(false);
  error = $state<string | null>(null);
  lastSpeed = $state<{ tokens: number; tokensPerSecond: number } | null>(null);

  constructor(private readonly client: BoardClient) {}

  listen(): () => void {
    return this.client.on('chat:token', ({ text }) => {
      const last = this.turns.at(-1);
      if (this.streaming && last?.role === 'assistant') last.content += text;
    });
  }

  get settingsValid(): boolean {
    return this.temperature >= 0 && this.temperature <= 5 && this.topP > 0 && this.topP <= 1 && Number.isInteger(this.maxTokens) && this.maxTokens >= 1 && this.maxTokens <= 4096;
  }

  async send(model: string, adapter: string | null, backend: BackendChoice): Promise<void> {
    const text = this.draft.trim();
    if (!text || this.streaming || !model) return;
    this.draft = '';
    this.error = null;
    this.turns.push({ role: 'user', content: text });
    const messages = [...(this.system.trim() ? [{ role: 'system' as const, content: this.system.trim() }] : []), ...$state.snapshot(this.turns)];
    this.turns.push({ role: 'assistant', content: '' });
    const answer = this.turns.at(-1)!;
    this.streaming = true;
    try {
      const result = await this.client.invoke('chat:send', { model, adapter, messages, maxNewTokens: this.maxTokens, temperature: this.temperature, topP: this.topP, backend });
      answer.content = result.text;
      this.lastSpeed = { tokens: result.tokens, tokensPerSecond: result.tokensPerSecond };
    } catch (err) {
      this.error = messageOf(err);
      if (!answer.content) this.turns.pop();
    } finally {
      this.streaming = false;
      this.stopping = false;
    }
  }

  async cancel(): Promise<void> {
    if (!this.streaming || this.stopping) return;
    this.stopping = true;
    try {
      await this.client.invoke('chat:cancel', {});
    } catch (err) {
      this.error = messageOf(err);
    }
  }

  clear(): void {
    if (this.streaming) return;
    this.turns = [];
    this.error = null;
    this.lastSpeed = null;
  }
}
