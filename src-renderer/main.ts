import { mount } from 'svelte';
import App from './App.svelte';
import { connectToHost } from './client/connect';
import './styles/board.css';

mount(App, { target: document.getElementById('app')!, props: { client: connectToHost() } });
