import * as tf from './backend/tf';
import pkg from '../../package.json';

export function versions(): Record<string, string> {
  return { tuneboard: pkg.version, tfjs: tf.version_core, node: process.versions.node, platform: `${process.platform}-${process.arch}` };
}
