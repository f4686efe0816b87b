import type { Server } from 'node:net';

/** A port the sandbox needs is taken; the message says which and how to choose another. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
}

/** Listens on 127.0.0.1 and resolves to the port; a taken port becomes a PortInUseError. */
export function listen(server: Server, port: number, what: string, envVar: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        error.code === 'EADDRINUSE'
          ? new PortInUseError(`${what} port ${port} on 127.0.0.1 is already in use; stop what uses it or set ${envVar} to another port`)
          : error,
      );
    };
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}
