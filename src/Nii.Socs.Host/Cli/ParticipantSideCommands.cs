using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Host.ParticipantSide;
using Nii.Socs.Host.Pipeline;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Host.Cli;

/// <summary><c>socs participant …</c>: what an operator runs on the participant's own machine, never needing the
/// organization's data — make a key pair and CSR, unwrap an epoch key, sign an approval (R6.1, R6.3, R8.1, R8.6).</summary>
internal static class ParticipantSideCommands
{
    public static Command Create(CliContext context)
    {
        var command = new Command("participant", "The operator's side, on the participant's machine: keygen, unwrap, approve (R6.3, R8.6)");
        command.Subcommands.Add(Keygen(context));
        command.Subcommands.Add(Bundle(context));
        command.Subcommands.Add(KeysCommands.Unwrap(context));
        command.Subcommands.Add(Approve(context));
        return command;
    }

    private static Command Keygen(CliContext context)
    {
        var output = new Option<string>("--out") { Description = "The operator's directory (created 0700); the key never leaves it", Required = true };
        var name = new Option<string>("--name") { Description = "File name stem, e.g. sato", DefaultValueFactory = _ => "operator" };
        var type = new Option<string>("--type") { Description = "p256 (HPKE), rsa3072 or rsa4096 (RSA-OAEP)", DefaultValueFactory = _ => "p256" };
        var command = new Command("keygen", "Make your key pair and a certificate request (CSR) for 'socs certificates enrol' (R6.3)") { output, name, type };
        command.SetAction(parse =>
        {
            var keyType = parse.GetValue(type) switch
            {
                "p256" => ClientKeyType.EcP256,
                "rsa3072" => ClientKeyType.Rsa3072,
                "rsa4096" => ClientKeyType.Rsa4096,
                var other => throw new CliUsageException($"--type must be p256, rsa3072 or rsa4096; got '{other}'."),
            };
            var (keyPath, csrPath) = OperatorKeys.Generate(parse.GetValue(output)!, parse.GetValue(name)!, keyType);
            context.Out.WriteLine($"private_key\t{keyPath}");
            context.Out.WriteLine($"csr\t{csrPath}");
            return CliApp.Ok;
        });
        return command;
    }

    private static Command Bundle(CliContext context)
    {
        var directory = new Option<string>("--dir") { Description = "The operator's directory (as given to keygen --out)", Required = true };
        var name = new Option<string>("--name") { Description = "File name stem, as given to keygen", DefaultValueFactory = _ => "operator" };
        var certificate = new Option<string>("--certificate") { Description = "The certificate 'socs certificates enrol' wrote", Required = true };
        var command = new Command("bundle", "Put your certificate beside your key: NAME.crt.pem and NAME.p12 for the browser") { directory, name, certificate };
        command.SetAction(parse =>
        {
            using var received = KeysCommands.LoadCertificate("--certificate", parse.GetValue(certificate)!);
            IssuedCertificate bundled;
            try
            {
                bundled = OperatorKeys.Bundle(parse.GetValue(directory)!, parse.GetValue(name)!, received);
            }
            catch (CryptographicException ex)
            {
                throw new CliUsageException($"--certificate is not for the key in {parse.GetValue(directory)}: {ex.Message}");
            }

            using (bundled.Certificate)
            {
                context.Out.WriteLine($"certificate\t{bundled.CertificatePath}");
                context.Out.WriteLine($"pkcs12\t{bundled.Pkcs12Path}");
                context.Out.WriteLine($"sha256\t{bundled.Thumbprint}");
            }

            return CliApp.Ok;
        });
        return command;
    }

    private static Command Approve(CliContext context)
    {
        var request = new Option<string>("--request") { Description = "The request file ('socs consent export-request')", Required = true };
        var keys = new Option<string[]>("--key") { Description = "EPOCH=HEX: an epoch and its key (socs participant unwrap); epochs not given are unwrapped from the request file with --private-key", AllowMultipleArgumentsPerToken = true };
        var certificate = new Option<string>("--certificate") { Description = "Your client certificate (PEM)", Required = true };
        var privateKey = new Option<string>("--private-key") { Description = "Its private key (PEM or .p12)", Required = true };
        var hours = new Option<int>("--grant-hours") { Description = "How long the grant lives", DefaultValueFactory = _ => 24 };
        var output = new Option<string>("--out") { Description = "The signed approval to write (mode 0600; it holds the keys)", Required = true };
        var command = new Command("approve", "Sign an approval of a decryption request with your certificate's key (CMS), for 'socs consent approve --approval' (R8.6)") { request, keys, certificate, privateKey, hours, output };
        command.SetAction(parse =>
        {
            var h = parse.GetValue(hours);
            if (h is < 1 or > 24 * 90)
            {
                throw new CliUsageException($"--grant-hours must be between 1 and 2160; got {h}.");
            }

            var (id, participant, wrapped) = ReadRequest(parse.GetValue(request)!);
            using var signer = OperatorKeys.LoadWithKey(parse.GetValue(certificate)!, parse.GetValue(privateKey)!);
            var presented = new Dictionary<long, byte[]>();
            try
            {
                foreach (var text in parse.GetValue(keys) ?? [])
                {
                    var eq = text.IndexOf('=', StringComparison.Ordinal);
                    var hex = eq > 0 ? text[(eq + 1)..] : string.Empty;
                    if (eq <= 0 || !long.TryParse(text.AsSpan(0, eq), NumberStyles.None, CultureInfo.InvariantCulture, out var index) || hex.Length != EpochKey.Size * 2 || !hex.All(Uri.IsHexDigit))
                    {
                        throw new CliUsageException($"--key must be EPOCH=HEX with {EpochKey.Size * 2} hex digits; got '{(text.Length > 24 ? text[..24] + "…" : text)}'.");
                    }

                    presented[index] = Convert.FromHexString(hex);
                }

                var missing = wrapped.Where(w => !presented.ContainsKey(w.Key)).ToList();
                if (missing.Count > 0)
                {
                    using var key = KeysCommands.LoadPrivateKey(parse.GetValue(privateKey)!, null);
                    foreach (var (index, set) in missing)
                    {
                        if (!key.TryUnwrap(set, out var epochKey, out var failure))
                        {
                            throw new CliUsageException($"the key of epoch {index} does not unwrap with --private-key ({failure}); give it with --key {index}=HEX.");
                        }

                        using (epochKey)
                        {
                            var bytes = new byte[EpochKey.Size];
                            epochKey.CopyTo(bytes);
                            presented[index] = bytes;
                        }
                    }
                }

                var now = context.Time.GetUtcNow();
                var signed = SignedApproval.Sign(id, participant, presented, now.AddHours(h), now, signer);
                PrivateFiles.WriteAllBytes(parse.GetValue(output)!, signed);
                context.Out.WriteLine($"approval\t{parse.GetValue(output)}");
                context.Out.WriteLine($"request\t{id}");
                context.Out.WriteLine($"epochs\t{string.Join(",", presented.Keys.Order())}");
                context.Out.WriteLine($"signed_by\t{KeyWrapper.Thumbprint(signer)}");
                return CliApp.Ok;
            }
            finally
            {
                foreach (var bytes in presented.Values)
                {
                    CryptographicOperations.ZeroMemory(bytes);
                }
            }
        });
        return command;
    }

    /// <summary>Reads a request file: its id, participant and the wrapped key set of each needed epoch.</summary>
    private static (RequestId Id, ParticipantId Participant, Dictionary<long, WrappedKeySet> Wrapped) ReadRequest(string path)
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = json.RootElement;
            if (!RequestId.TryParse(root.GetProperty("request").GetString(), out var id) || root.GetProperty("participant").GetString() is not { } p || !ParticipantId.IsValid(p))
            {
                throw new CliUsageException($"--request {path} names no valid request or participant.");
            }

            var wrapped = new Dictionary<long, WrappedKeySet>();
            foreach (var epoch in root.GetProperty("epochs").EnumerateArray())
            {
                var index = epoch.GetProperty("index").GetInt64();
                if (!WrappedKeySet.TryParseJson(epoch.GetProperty("wrapped").GetRawText(), out var set, out var error))
                {
                    throw new CliUsageException($"--request {path}: the wrapped key of epoch {index} is malformed: {error}.");
                }

                wrapped[index] = set;
            }

            return (id, new ParticipantId(p), wrapped);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new CliUsageException($"--request {path} is not a request file from 'socs consent export-request': {ex.Message}");
        }
    }
}
