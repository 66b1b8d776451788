import { fork } from 'node:child_process';
import { startMoto } from '@rolecall/testing';

/**
 * One AWS endpoint in front of two moto processes: DynamoDB calls (`X-Amz-Target: DynamoDB_…`) go to a
 * moto of their own, everything else (STS, IAM, …) to the stack's. In AWS, STS and DynamoDB are separate
 * services; in one moto, the broker's audit records being persisted into DynamoDB queue in front of the
 * next AssumeRole, which would charge moto's single process to Rolecall. Every caller of the bench (the
 * services and the direct STS baseline alike) goes through this endpoint, so its hop is in both. The
 * proxy runs in a process of its own (split-aws-proxy.mjs).
 */
export interface SplitAws {
  url: string;
  stop(): Promise<void>;
}

export async function startSplitAws(stsAndRestUrl: string): Promise<SplitAws> {
  const dynamo = await startMoto();
  const child = fork(new URL('./split-aws-proxy.mjs', import.meta.url), [stsAndRestUrl, dynamo.url], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`the split AWS proxy exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await exited;
      await dynamo.stop();
    },
  };
}
