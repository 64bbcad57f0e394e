using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Capture.Dissection;
using Nii.Socs.Capture.Tests.Generators;

namespace Nii.Socs.Capture.Tests.Dissection;

public class DissectorProperties
{
    [Property(MaxTest = 500)]
    [Trait("Requirement", "R2.1")]
    public Property R2_1_header_bytes_plus_content_bytes_equal_the_captured_length() =>
        Prop.ForAll(Gen.OneOf(FrameGenerators.Frame(), FrameGenerators.Mutated()).ToArbitrary(), input =>
        {
            var header = Dissector.Dissect(input.Link, input.Frame);
            var content = input.Frame.AsSpan(header.HeaderLength);
            return (header.HeaderLength >= 0 && header.HeaderLength + content.Length == input.Frame.Length)
                .Label($"header {header.HeaderLength} + content {content.Length} != {input.Frame.Length}")
                .Classify(header.Malformation == Malformation.None, "well formed")
                .Classify(header.HasPorts, "with ports");
        });

    [Property(MaxTest = 300)]
    [Trait("Requirement", "R2.1")]
    public Property R2_1_a_well_formed_frame_has_exactly_its_transport_payload_as_content() =>
        Prop.ForAll(FrameGenerators.FrameWithContentLength().ToArbitrary(), input =>
        {
            var header = Dissector.Dissect(input.Link, input.Frame);
            return (header.Malformation == Malformation.None && header.IsIP && input.Frame.Length - header.HeaderLength == input.ContentLength)
                .Label($"{header.Malformation}: content {input.Frame.Length - header.HeaderLength}, expected {input.ContentLength}")
                .Classify(header.IsFragment, "fragment")
                .Classify(header.ExtensionHeaderCount > 0, "IPv6 extensions");
        });

    [Property(MaxTest = 2000)]
    [Trait("Requirement", "R2.1")]
    public Property R2_1_random_and_mutated_frames_never_throw_and_stay_in_bounds() =>
        Prop.ForAll(Gen.OneOf(FrameGenerators.Garbage(), FrameGenerators.Mutated()).ToArbitrary(), input =>
        {
            var header = Dissector.Dissect(input.Link, input.Frame);
            return header.HeaderLength >= 0 && header.HeaderLength <= input.Frame.Length
                && (header.TransportOffset < 0 || header.TransportOffset <= header.HeaderLength)
                && (header.IsIP || header.Malformation != Malformation.None);
        });
}
