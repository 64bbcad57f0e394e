namespace Nii.Socs.Core.Participants;

/// <summary>The reasons of R12.2 for refusing an application or revoking an approval; the value is the item number.</summary>
internal enum RefusalReason
{
    /// <summary>(1) Not a SINET member or connected institution.</summary>
    NotSinetMember = 1,

    /// <summary>(2) Not fitting the service's purpose.</summary>
    NotFittingPurpose = 2,

    /// <summary>(3) The application was not made in the prescribed way.</summary>
    NotPrescribedWay = 3,

    /// <summary>(4) The application's contents are false or seriously wrong.</summary>
    FalseOrSeriouslyWrong = 4,

    /// <summary>(5) Good reason to fear a breach of the rules.</summary>
    FearOfBreach = 5,

    /// <summary>(6) Another good reason the organization judges.</summary>
    OtherGoodReason = 6,
}
