import { AppError } from '@rolecall/shared/errors';
import nodemailer from 'nodemailer';

/** One plain-text mail. */
export interface Mail {
  to: readonly string[];
  subject: string;
  text: string;
}

/** Sends mail. */
export interface Mailer {
  /** What logs may name the destination by. */
  readonly host: string;
  send(mail: Mail): Promise<void>;
  close(): void;
}

export interface SmtpMailerOptions {
  host: string;
  port: number;
  /** TLS from the first byte (port 465). When false, nodemailer still upgrades with STARTTLS when offered. */
  secure: boolean;
  user?: string;
  /** Resolved by the composition root (from `passwordEnv`); never logged. */
  password?: string;
  /** The From address: `Rolecall <rolecall@example.com>`. */
  from: string;
  /** Applies to connecting, the greeting and each socket read. */
  timeoutMs?: number;
}

/** nodemailer's error codes that another try may cure (the server or the network was down or slow). */
const TRANSIENT_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNRESET']);

/** An SMTP mailer over nodemailer, one connection per mail (notifications are few). */
export function createSmtpMailer(options: SmtpMailerOptions): Mailer {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const transport = nodemailer.createTransport({
    host: options.host,
    port: options.port,
    secure: options.secure,
    ...(options.user === undefined ? {} : { auth: { user: options.user, pass: options.password ?? '' } }),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    dnsTimeout: timeoutMs,
  });
  const host = `${options.host}:${options.port}`;
  return {
    host,
    async send(mail) {
      try {
        await transport.sendMail({
          from: options.from,
          to: [...mail.to],
          subject: mail.subject,
          text: mail.text,
        });
      } catch (error) {
        throw toMailError(error, host);
      }
    },
    close() {
      transport.close();
    },
  };
}

/**
 * nodemailer's error as an AppError: retryable when the connection failed or the server answered 4xx
 * (a temporary refusal), not when it answered 5xx or refused the login (EAUTH) or the recipients (EENVELOPE). The message
 * keeps nodemailer's, which names the server's answer but neither the password nor the mail.
 */
export function toMailError(error: unknown, host: string): AppError {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    responseCode?: unknown;
    message?: unknown;
  };
  const code = typeof fields.code === 'string' ? fields.code : undefined;
  const responseCode = typeof fields.responseCode === 'number' ? fields.responseCode : undefined;
  const detail = typeof fields.message === 'string' ? fields.message : String(error);
  const context = {
    host,
    ...(code === undefined ? {} : { errorCode: code }),
    ...(responseCode === undefined ? {} : { responseCode }),
  };
  if (code === 'ETIMEDOUT') {
    return new AppError('TIMEOUT', `SMTP server ${host} timed out: ${detail}`, { context });
  }
  if (code !== undefined && TRANSIENT_CODES.has(code)) {
    return new AppError('UPSTREAM_UNAVAILABLE', `SMTP server ${host} unreachable: ${detail}`, { context });
  }
  // Without an SMTP answer or a known code it is not known to be final: another try is cheap.
  const retryable =
    responseCode === undefined ? code === undefined : responseCode >= 400 && responseCode < 500;
  return new AppError('UPSTREAM_FAILED', `SMTP server ${host} refused the mail: ${detail}`, {
    retryable,
    context,
  });
}
