using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Nii.Socs.Core.Keys;

namespace Nii.Socs.Host.Cli;

/// <summary><c>socs keys …</c>: wrap an epoch key to a certificate, and the participant-side unwrap and re-wrap (R8.1, R6.3, R8.6).</summary>
internal static class KeysCommands
{
    public static Command Create(CliContext context)
    {
        var command = new Command("keys", "Epoch keys: wrap to client certificates, unwrap, re-wrap (R8.1)");
        command.Subcommands.Add(Wrap(context));
        command.Subcommands.Add(Unwrap(context));
        command.Subcommands.Add(Rewrap(context));
        return command;
    }

    private static Command Wrap(CliContext context)
    {
        var cert = new Option<string>("--cert") { Description = "The client certificate (PEM or DER)", Required = true };
        var keyHex = new Option<string>("--key-hex") { Description = "The 32-byte epoch key as 64 hex digits", Required = true };
        var json = new Option<bool>("--json") { Description = "Print the wrapped key as JSON" };
        var raw = new Option<string?>("--raw") { Description = "Write the bare RSA-OAEP ciphertext to this file (RSA certificates)" };
        var command = new Command("wrap", "Wrap a key to a client certificate (R8.1)") { cert, keyHex, json, raw };
        command.SetAction(parse =>
        {
            var rawPath = parse.GetValue(raw);
            if (parse.GetValue(json) && rawPath is not null)
            {
                throw new CliUsageException("--json and --raw exclude each other; give one.");
            }

            var certificate = LoadCertificate("--cert", parse.GetValue(cert)!);
            var key = ParseKeyHex(parse.GetValue(keyHex));
            try
            {
                var suite = KeyWrapper.SuiteFor(certificate);
                if (rawPath is not null && suite != WrapSuite.RsaOaep256)
                {
                    throw new CliUsageException($"--raw writes a bare RSA-OAEP ciphertext, but the certificate calls for {suite}; use --json.");
                }

                var wrapped = KeyWrapper.Wrap(key, certificate, KeyWrapper.DefaultInfo.Span, []);
                if (rawPath is not null)
                {
                    File.WriteAllBytes(rawPath, wrapped.Ciphertext.ToArray());
                }
                else
                {
                    Print(context, wrapped, parse.GetValue(json));
                }

                return CliApp.Ok;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
            }
        });
        return command;
    }

    internal static Command Unwrap(CliContext context)
    {
        var wrappedFile = new Option<string>("--wrapped") { Description = "The wrapped key: JSON from 'keys wrap --json', a stored wrapped set, or a bare RSA-OAEP ciphertext", Required = true };
        var privateKey = new Option<string>("--private-key") { Description = "The private key (PEM, PKCS#8 DER or .p12)", Required = true };
        var passwordFile = new Option<string?>("--password-file") { Description = "A file whose first line is the private key's password" };
        var json = CliOutput.JsonOption("Print JSON: {\"key_hex\": …}");
        var command = new Command("unwrap", "Unwrap a key with your private key; prints it as hex (R8.1, R8.6)") { wrappedFile, privateKey, passwordFile, json };
        command.SetAction(parse =>
        {
            using var key = LoadPrivateKey(parse.GetValue(privateKey)!, parse.GetValue(passwordFile));
            var bytes = UnwrapFile(parse.GetValue(wrappedFile)!, key, out _);
            try
            {
                if (parse.GetValue(json))
                {
                    CliOutput.WriteJson(context.Out, new JsonObject { ["key_hex"] = Convert.ToHexStringLower(bytes) });
                }
                else
                {
                    context.Out.WriteLine(Convert.ToHexStringLower(bytes));
                }

                return CliApp.Ok;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(bytes);
            }
        });
        return command;
    }

    private static Command Rewrap(CliContext context)
    {
        var wrappedFile = new Option<string>("--wrapped") { Description = "The wrapped key, as for 'keys unwrap'", Required = true };
        var privateKey = new Option<string>("--private-key") { Description = "The OLD private key (PEM, PKCS#8 DER or .p12)", Required = true };
        var cert = new Option<string>("--cert") { Description = "The NEW client certificate (PEM or DER)", Required = true };
        var passwordFile = new Option<string?>("--password-file") { Description = "A file whose first line is the old private key's password" };
        var json = CliOutput.JsonOption("The re-wrapped key is always printed as JSON (the same as 'keys wrap --json'); accepted for uniformity");
        var command = new Command("rewrap", "Re-wrap a key from an old private key to a new certificate, on your machine (R6.3)") { wrappedFile, privateKey, cert, passwordFile, json };
        command.SetAction(parse =>
        {
            var certificate = LoadCertificate("--cert", parse.GetValue(cert)!);
            KeyWrapper.SuiteFor(certificate);
            using var key = LoadPrivateKey(parse.GetValue(privateKey)!, parse.GetValue(passwordFile));
            // Same steps as ParticipantPrivateKey.TryRewrap, but also for a stored wrapped set (checked
            // against its commitment) and a bare RSA ciphertext; the epoch AAD is kept.
            var bytes = UnwrapFile(parse.GetValue(wrappedFile)!, key, out var aad);
            try
            {
                Print(context, KeyWrapper.Wrap(bytes, certificate, KeyWrapper.DefaultInfo.Span, aad), json: true);
                return CliApp.Ok;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(bytes);
            }
        });
        return command;
    }

    private static void Print(CliContext context, WrappedKey wrapped, bool json)
    {
        if (json)
        {
            context.Out.WriteLine(wrapped.ToJson());
            return;
        }

        context.Out.WriteLine($"suite: {wrapped.Suite}");
        context.Out.WriteLine($"thumbprint: {wrapped.Thumbprint}");
        context.Out.WriteLine($"enc: {Convert.ToBase64String(wrapped.Enc.Span)}");
        context.Out.WriteLine($"ct: {Convert.ToBase64String(wrapped.Ciphertext.Span)}");
        context.Out.WriteLine($"info: {Convert.ToBase64String(wrapped.Info.Span)}");
        context.Out.WriteLine($"aad: {Convert.ToBase64String(wrapped.Aad.Span)}");
    }

    /// <summary>Unwraps whatever the file holds; the AAD to keep on re-wrap comes out too.</summary>
    private static byte[] UnwrapFile(string path, ParticipantPrivateKey key, out byte[] aad)
    {
        var data = File.ReadAllBytes(path);
        var text = data.Length > 0 && data[0] == (byte)'{' ? Encoding.UTF8.GetString(data) : null;
        var bytes = new byte[EpochKey.Size];
        if (text is not null && text.Contains("\"wrapped\"", StringComparison.Ordinal))
        {
            if (!WrappedKeySet.TryParseJson(text, out var set, out var setError))
            {
                throw new CliUsageException($"--wrapped {path} is not a wrapped set: {setError}.");
            }

            if (!key.TryUnwrap(set, out var epochKey, out var setFailure))
            {
                throw new CliUsageException(Explain(setFailure, key, set.Wrapped[0].Suite, path));
            }

            using (epochKey)
            {
                epochKey.CopyTo(bytes);
            }

            aad = Encoding.UTF8.GetBytes(set.Epoch.ToString());
            return bytes;
        }

        WrappedKey wrapped;
        if (text is not null)
        {
            if (!WrappedKey.TryParseJson(text, out var parsed, out var error))
            {
                throw new CliUsageException($"--wrapped {path} is not a wrapped key: {error}.");
            }

            wrapped = parsed;
        }
        else
        {
            // A bare RSA-OAEP ciphertext, as written by 'keys wrap --raw'.
            wrapped = new WrappedKey(WrapSuite.RsaOaep256, string.Empty, default, data, default, default);
        }

        if (!key.TryUnwrap(wrapped, bytes, out var failure))
        {
            throw new CliUsageException(Explain(failure, key, wrapped.Suite, path));
        }

        aad = wrapped.Aad.ToArray();
        return bytes;
    }

    private static string Explain(UnwrapFailure failure, ParticipantPrivateKey key, WrapSuite suite, string path) => failure switch
    {
        UnwrapFailure.SuiteMismatch => $"the wrapped key in {path} is {suite}, but the private key is for {key.Suite}.",
        UnwrapFailure.NotAuthentic => $"the private key does not open the wrapped key in {path}: it is another key, or the file was changed.",
        UnwrapFailure.WrongKeyLength => $"the wrapped key in {path} does not hold a {EpochKey.Size}-byte epoch key.",
        UnwrapFailure.CommitmentMismatch => $"the key unwrapped from {path} does not match the set's key commitment: the set was changed.",
        _ => $"the wrapped key in {path} did not unwrap ({failure}).",
    };

    internal static X509Certificate2 LoadCertificate(string option, string path)
    {
        var data = File.ReadAllBytes(path);
        try
        {
            if (data.AsSpan().IndexOf("-----BEGIN CERTIFICATE-----"u8) >= 0)
            {
                return X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(data));
            }

            return X509CertificateLoader.LoadCertificate(data);
        }
        catch (CryptographicException ex)
        {
            throw new CliUsageException($"{option} {path} is not an X.509 certificate in PEM or DER: {ex.Message}");
        }
    }

    internal static ParticipantPrivateKey LoadPrivateKey(string path, string? passwordFile)
    {
        string? password = null;
        if (passwordFile is not null)
        {
            using var reader = new StreamReader(passwordFile, Encoding.UTF8);
            password = reader.ReadLine() ?? string.Empty;
        }

        try
        {
            return ParticipantPrivateKey.Load(File.ReadAllBytes(path), password);
        }
        catch (ArgumentException ex)
        {
            throw new CliUsageException($"--private-key {path}: {ex.Message.Split(" (Parameter")[0]}");
        }
    }

    private static byte[] ParseKeyHex(string? text)
    {
        var trimmed = text?.Trim() ?? string.Empty;
        if (trimmed.Length != EpochKey.Size * 2)
        {
            throw new CliUsageException($"--key-hex must be {EpochKey.Size * 2} hex digits (a {EpochKey.Size}-byte epoch key); got {trimmed.Length} characters.");
        }

        try
        {
            return Convert.FromHexString(trimmed);
        }
        catch (FormatException)
        {
            throw new CliUsageException($"--key-hex must be {EpochKey.Size * 2} hex digits; it holds a character that is not 0-9 or a-f.");
        }
    }
}
