using System.Net;
using System.Text;
using Nii.Socs.Capture.Detection;
using Nii.Socs.Capture.Dissection;
using Nii.Socs.Capture.Readers;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Capture.Tests.Detection;

public class RuleSetTests
{
    private static readonly ScopeIndex Scope = ScopeIndex.Create([new ScopeAssignment(new ParticipantId("u-tokyo"), IPPrefix.Parse("192.0.2.0/24"))]);
    private static readonly RuleVariables Variables = RuleVariables.ForScope(Scope);

    [Fact]
    [Trait("Requirement", "R4.2")]
    public void Bad_rules_are_reported_with_file_line_and_reason_and_the_others_still_load()
    {
        var text = """
            # comment
            alert tcp any any -> any any (msg:"ok 1"; content:"a"; sid:1;)
            alert tcp any any -> any any (msg:"no sid"; content:"a";)
            alert tcp any any -> any any (msg:"bad option"; http_uri; sid:3;)

            alert tcp any any -> any any (msg:"dup"; sid:1;)
            alert foo any any -> any any (msg:"bad proto"; sid:5;)
            alert tcp $NOPE any -> any any (msg:"bad var"; sid:6;)
            alert tcp any any -> any any (msg:"bad pcre"; pcre:"/(/"; sid:7;)
            alert tcp any any -> any any (msg:"within short"; content:"abc"; content:"d"; within:0; sid:8;)
            alert tcp any any -> any any (msg:"continued"; \
                content:"b"; sid:9;)
            alert tcp any any -> any any (msg:"ok 10"; classtype:web-application-attack; sid:10; rev:3;)
            """;
        var set = RuleSet.Parse(text, "demo.rules", Variables);
        Assert.Equal([1L, 9, 10], set.Rules.Select(r => r.Sid));
        Assert.Equal([3, 4, 6, 7, 8, 9, 10], set.Errors.Select(e => e.Line));
        Assert.All(set.Errors, e => Assert.Equal("demo.rules", e.File));
        Assert.Equal("demo.rules:3: the rule has no sid", set.Errors[0].ToString());
        Assert.Contains("unsupported option 'http_uri'", set.Errors[1].Reason, StringComparison.Ordinal);
        Assert.Contains("already used on line 2", set.Errors[2].Reason, StringComparison.Ordinal);
        Assert.Equal(11, set.Rules[1].Line);
        var ten = set.Rules[2];
        Assert.Equal((1, 3, "web-application-attack"), (ten.Priority, ten.Rev, ten.ClassType));
    }

    [Fact]
    public void The_demo_rules_load_without_errors()
    {
        var set = RuleSet.Load(Path.Combine(TempDirectory.RepositoryRoot(), "samples", "rules", "demo.rules"), Variables);
        Assert.Empty(set.Errors);
        Assert.Equal(6, set.Rules.Count);
    }

    [Fact]
    [Trait("Requirement", "R4.2")]
    public void Content_modifiers_follow_the_documented_semantics()
    {
        Assert.True(Hits("content:\"GET \"; depth:4; content:\"passwd\"; distance:0; within:30;", "GET /../../etc/passwd HTTP/1.1"));
        Assert.False(Hits("content:\"GET \"; depth:4; content:\"passwd\"; distance:0; within:10;", "GET /../../etc/passwd HTTP/1.1"));
        Assert.False(Hits("content:\"GET \"; offset:1;", "GET / HTTP/1.1"));
        Assert.True(Hits("content:\"union\"; nocase; content:\"select\"; nocase; distance:1; within:10;", "1 UNION ALL SELECT x"));
        Assert.False(Hits("content:\"union\";", "1 UNION ALL SELECT x"));
        Assert.True(Hits("content:\"a|0d 0a|b\";", "xa\r\nb"));
        Assert.False(Hits("content:\"admin\"; content:!\"logout\";", "admin logout"));
        Assert.True(Hits("content:\"admin\"; content:!\"logout\";", "admin login"));
        // Backtracking: the first "a" is followed by no "b" within 2, the second is.
        Assert.True(Hits("content:\"a\"; content:\"b\"; distance:0; within:2;", "a....ab"));
        Assert.True(Hits("pcre:\"/cmd=\\w+/i\";", "GET /x.php?CMD=id"));
        Assert.False(Hits("pcre:!\"/cmd=/i\";", "GET /x.php?cmd=id"));
    }

    [Fact]
    [Trait("Requirement", "R4.2")]
    public void Header_addresses_ports_direction_and_flow()
    {
        var inbound = Packet("203.0.113.7", 51000, "192.0.2.10", 80, 0x18, "x");
        Assert.True(Matches("alert tcp $EXTERNAL_NET any -> $HOME_NET $HTTP_PORTS (flow:to_server,established; sid:1;)", inbound));
        Assert.False(Matches("alert tcp $HOME_NET any -> $EXTERNAL_NET any (sid:1;)", inbound));
        Assert.True(Matches("alert tcp $HOME_NET any <> $EXTERNAL_NET any (sid:1;)", inbound));
        Assert.False(Matches("alert tcp any any -> any any (flow:to_client; sid:1;)", inbound));
        Assert.True(Matches("alert tcp [203.0.113.0/24,!203.0.113.8] any -> any ![22,23] (sid:1;)", inbound));
        Assert.False(Matches("alert tcp [203.0.113.0/24,!203.0.113.7] any -> any any (sid:1;)", inbound));
        Assert.False(Matches("alert udp any any -> any any (sid:1;)", inbound));
        Assert.True(Matches("alert ip any any -> any any (sid:1;)", inbound));
        Assert.False(Matches("alert tcp any any -> any 1:79 (sid:1;)", inbound));
        Assert.True(Matches("alert tcp any any -> any 80: (sid:1;)", inbound));
        var syn = Packet("203.0.113.7", 51000, "192.0.2.10", 22, 0x02, string.Empty);
        Assert.True(Matches("alert tcp any any -> any 22 (flow:to_server,not_established; sid:1;)", syn));
        Assert.False(Matches("alert tcp any any -> any 22 (flow:established; sid:1;)", syn));
    }

    [Fact]
    public void A_matching_pass_rule_suppresses_the_packets_alerts()
    {
        var set = RuleSet.Parse("alert tcp any any -> any any (content:\"x\"; sid:1;)\npass tcp 203.0.113.7 any -> any any (sid:2;)", "r", Variables);
        var (header, content) = Packet("203.0.113.7", 1, "192.0.2.1", 2, 0x18, "x");
        var hits = new List<Rule>();
        Assert.Equal(0, new RuleMatcher(set).Match(header, content, hits));
        var (other, otherContent) = Packet("203.0.113.8", 1, "192.0.2.1", 2, 0x18, "x");
        Assert.Equal(1, new RuleMatcher(set).Match(other, otherContent, hits));
    }

    private static bool Hits(string options, string payload) =>
        Matches($"alert tcp any any -> any any ({options} sid:1;)", Packet("203.0.113.7", 51000, "192.0.2.10", 80, 0x18, payload));

    private static bool Matches(string rule, (PacketHeader Header, byte[] Content) packet)
    {
        var set = RuleSet.Parse(rule, "t.rules", Variables);
        Assert.Empty(set.Errors);
        return new RuleMatcher(set).Match(packet.Header, packet.Content, []) == 1;
    }

    private static (PacketHeader, byte[]) Packet(string source, int sourcePort, string destination, int destinationPort, byte flags, string payload)
    {
        var frame = FrameBuilder.Tcp(IPAddress.Parse(source), IPAddress.Parse(destination), (ushort)sourcePort, (ushort)destinationPort, flags, Encoding.ASCII.GetBytes(payload));
        var header = Dissector.Dissect(LinkType.Raw, frame);
        return (header, frame[header.HeaderLength..]);
    }
}
