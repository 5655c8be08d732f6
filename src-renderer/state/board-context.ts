/** The board's state, provided by App.svelte and read by every component. */
import { createContext } from 'svelte';
import type { Board } from './board.svelte';

export const [useBoard, provideBoard] = createContext<Board>();
