using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Nii.Socs.Host.Portal;

/// <summary>The portal's words in Japanese (the default) and English: one small table, terms from docs/glossary.md.</summary>
/// <remarks>
/// The language of a request is the <c>socs-lang</c> cookie (<c>ja</c> or <c>en</c>), set by <c>/lang/{code}</c>
/// from the switch in every page's header; without it the portal speaks Japanese. <see cref="Use"/> sets it for the
/// request, so pages call <see cref="T(string)"/> without passing it around. A text the table does not know is shown
/// as written (English), so a page added later still renders before it is translated.
/// </remarks>
internal static class PortalText
{
    /// <summary>The cookie that remembers the choice.</summary>
    public const string Cookie = "socs-lang";

    private static readonly AsyncLocal<bool> s_english = new();
    private static readonly AsyncLocal<string?> s_path = new();

    private static readonly Dictionary<string, string> s_ja = new(StringComparer.Ordinal)
    {
        // Layout and navigation
        ["NII-SOCS portal"] = "NII-SOCS サービスポータル",
        ["Detections"] = "検知情報",
        ["Decryption requests"] = "復号依頼",
        ["Coverage gaps"] = "監視の欠落",
        ["Wrapped keys"] = "共通鍵 (ラップ済み)",
        ["History"] = "操作履歴",
        ["Operation history"] = "操作履歴",
        ["Account"] = "アカウント",
        ["Participants"] = "参加機関",
        ["Requests"] = "復号依頼",
        ["Fault access"] = "障害対応アクセス",
        ["Not found"] = "見つかりません",
        ["Refused"] = "拒否されました",
        ["Main navigation"] = "メインメニュー",
        ["Language"] = "言語",
        ["Previous"] = "前へ",
        ["Next"] = "次へ",
        ["Page {0} of {1}"] = "{0} / {1} ページ",
        ["{0} items"] = "全 {0} 件",
        ["Sort by {0}"] = "{0}で並べ替え",
        ["Charts"] = "図",

        // Account
        ["Signed in as"] = "ログイン中:",
        ["with certificate"] = "クライアント証明書",
        ["Participant"] = "参加機関",
        ["monitored prefixes"] = "監視対象ネットワークアドレス",
        ["Report compromise (R6.2)"] = "漏えいの届出 (R6.2)",
        ["If this certificate or its key may be known to someone else, revoke it now. It stops working at once; ask the organization for a new one. Keep the old key: past epoch keys are wrapped to it (R6.3)."] =
            "このクライアント証明書または秘密鍵が他者に知られたおそれがある場合は、直ちに失効させてください。すぐに使えなくなります。新しい証明書は機構に依頼してください。過去の共通鍵はこの鍵でラップされているので、古い秘密鍵は保管してください (R6.3)。",
        ["What happened"] = "状況",
        ["Revoke this certificate now"] = "この証明書を今すぐ失効させる",
        ["Organization staff: see the participants, requests and fault access pages."] = "機構職員: 参加機関・復号依頼・障害対応アクセスの各ページを参照してください。",
        ["Certificate revoked"] = "証明書を失効させました",
        ["Certificate"] = "クライアント証明書",
        ["revoked from now on (R6.2). Ask the organization for a new one, and keep this one's key: past epoch keys are wrapped to it (R6.3)."] =
            "は今から失効しました (R6.2)。新しい証明書は機構に依頼してください。過去の共通鍵はこの鍵でラップされているので、秘密鍵は保管してください (R6.3)。",

        // Detections
        ["Rule sid"] = "ルール sid",
        ["Address (source or destination)"] = "アドレス (送信元または宛先)",
        ["Filter"] = "絞り込む",
        ["Newest first. Times are JST. Content is sealed; file a decryption request to view it."] = "新しい順。時刻は JST。通信内容は暗号化されています。閲覧するには復号依頼を出してください。",
        ["Observed (JST)"] = "観測時刻 (JST)",
        ["Acquired (JST)"] = "取得時刻 (JST)",
        ["observation time far from acquisition (sensor clock?); retention counts from acquisition"] = "観測時刻が取得時刻から大きく離れています (センサの時計?)。保存期間は取得時から数えます",
        ["Severity"] = "重要度",
        ["Rule"] = "ルール",
        ["Source"] = "送信元",
        ["Destination"] = "宛先",
        ["Proto"] = "プロトコル",
        ["Content"] = "通信内容",
        ["No detections match."] = "該当する検知情報はありません。",
        ["Older detections"] = "さらに古い検知情報",
        ["Newest detections"] = "最新の検知情報",
        ["{0} B sealed"] = "{0} B 暗号化",
        ["High"] = "高",
        ["Medium"] = "中",
        ["Low"] = "低",
        ["Info"] = "情報",
        ["Detection"] = "検知情報",
        ["Record id"] = "レコード ID",
        ["Class type"] = "クラス",
        ["Priority"] = "優先度",
        ["Protocol"] = "プロトコル",
        ["TCP flags"] = "TCP フラグ",
        ["Captured / wire length"] = "取得長 / 実長",
        ["Content (sealed, R7.1)"] = "通信内容 (暗号化, R7.1)",
        ["Key epoch"] = "鍵の期間 (エポック)",
        ["Source of detection"] = "検知の入力",
        ["Header bytes (hex)"] = "ヘッダ情報 (16 進)",
        ["View content under grant {0}"] = "閲覧許可 {0} で通信内容を表示",
        ["Purpose"] = "目的",
        ["review of this detection"] = "この検知の確認",
        ["Request decryption of this record"] = "このレコードの復号を依頼する",
        ["Detections per day (JST), by rule class"] = "日別の検知件数 (JST、ルールのクラス別)",
        ["Top sources"] = "送信元の上位",
        ["Top destinations"] = "宛先の上位",
        ["bytes"] = "バイト",

        // Requests
        ["Request"] = "依頼",
        ["Requester"] = "依頼者",
        ["Scope"] = "対象",
        ["Deadline"] = "期限",
        ["Status"] = "状態",
        ["No requests."] = "復号依頼はありません。",
        ["File a decryption request (R8.5)"] = "復号依頼を出す (R8.5)",
        ["Record ids (one per line)"] = "レコード ID (1 行に 1 つ)",
        ["or a time range (JST):"] = "または期間 (JST):",
        ["From"] = "開始",
        ["To"] = "終了",
        ["Only rule sid"] = "ルール sid のみ",
        ["Only address"] = "アドレスのみ",
        ["Stated purpose"] = "目的 (文章)",
        ["Days to decide"] = "判断までの日数",
        ["File request"] = "依頼を出す",
        ["Decryption request"] = "復号依頼",
        ["Approve: present the key of each epoch (R8.6)"] = "承認: 各期間の共通鍵を提示 (R8.6)",
        ["Unwrap each epoch's key with your certificate's private key (socs keys unwrap, or openssl pkeyutl for RSA) using the wrapped keys, and paste it as hex. By approving you consent to the viewing and to its recording."] =
            "ラップ済みの共通鍵を、クライアント証明書の秘密鍵で開き (socs keys unwrap、RSA なら openssl pkeyutl)、16 進で貼り付けてください。承認すると、閲覧とその記録に同意したことになります。",
        ["Key of epoch {0}"] = "期間 {0} の共通鍵",
        ["No stored record is in scope, so no key is needed."] = "対象の保存レコードがないため、共通鍵は不要です。",
        ["Grant lasts (hours)"] = "閲覧許可の時間 (時間)",
        ["Approve"] = "承認する",
        ["Deny"] = "拒否する",
        ["Reason"] = "理由",
        ["Grant"] = "閲覧許可",
        ["Grant {0} to {1}, epochs {2}, until {3}"] = "閲覧許可 {0}: {1}、期間 {2}、{3} まで",
        [", revoked {0}"] = "、{0} に取り消し",
        ["live: viewing works"] = "有効: 閲覧できます",
        ["live, but its keys are no longer held (the service restarted): viewing needs a new request"] = "有効期間内ですが共通鍵はもう保持されていません (サービス再起動のため)。閲覧には新しい依頼が必要です",
        ["ended"] = "終了",
        ["Revoke this grant"] = "この閲覧許可を取り消す",
        ["Records in scope"] = "対象のレコード",
        ["{0} record(s)"] = "{0} 件のレコード",
        ["Pending"] = "未決定",
        ["Approved"] = "承認済み",
        ["Denied"] = "拒否",
        ["Expired"] = "期限切れ",
        ["Revoked"] = "取り消し",
        ["investigation"] = "調査",
        ["research"] = "研究",
        ["ownreview"] = "自機関の確認",
        ["other"] = "その他",
        ["Investigation"] = "調査",
        ["Research"] = "研究",
        ["OwnReview"] = "自機関の確認",
        ["Other"] = "その他",
        ["Content viewed under grant"] = "閲覧許可による通信内容",
        ["Record {0} under grant {1}; this view is recorded in the operation history (R8.6)."] = "閲覧許可 {1} でのレコード {0}。この閲覧は操作履歴に記録されます (R8.6)。",

        // Coverage, keys, history
        ["Times when part of your monitored addresses were not monitored because of load (R5.2)."] = "負荷のため、監視対象ネットワークアドレスの一部を監視できなかった時間です (R5.2)。",
        ["Prefixes"] = "アドレス",
        ["Until"] = "終了",
        ["State"] = "状態",
        ["planned"] = "予定",
        ["open"] = "継続中",
        ["in force"] = "実施中",
        ["No coverage gaps."] = "監視の欠落はありません。",
        ["Coverage gaps on a timeline"] = "監視の欠落 (時系列)",
        ["Each epoch's key, wrapped to every certificate that was active for it (R8.1). Unwrap with the matching private key; past certificates too (R6.3)."] =
            "各期間の共通鍵を、その期間に有効だったすべてのクライアント証明書でラップしています (R8.1)。対応する秘密鍵で開いてください。過去の証明書も使えます (R6.3)。",
        ["Epoch"] = "期間",
        ["Wrapped to (certificate thumbprints)"] = "ラップ先 (証明書の拇印)",
        ["Download"] = "ダウンロード",
        ["No wrapped keys."] = "ラップ済みの共通鍵はありません。",
        ["Every operation on your data and by your operators, newest first (R6.4). Kept at least 3 months; never deleted on a schedule."] =
            "自機関のデータへの操作と、自機関の操作者による操作のすべてです。新しい順 (R6.4)。3 か月以上保存し、定期削除はしません。",
        ["When (JST)"] = "日時 (JST)",
        ["Who"] = "操作者",
        ["Operation"] = "操作",
        ["Subject"] = "対象",
        ["Details"] = "詳細",
        ["Older"] = "さらに古い履歴",
        ["Operations per day (JST)"] = "日別の操作件数 (JST)",

        // Staff
        ["Id"] = "ID",
        ["Name"] = "名称",
        ["Contacts"] = "連絡窓口メールアドレス",
        ["Operators"] = "操作者",
        ["Certificates (active/all)"] = "証明書 (有効/全体)",
        ["Terminated from"] = "利用終了日",
        ["All decryption requests"] = "すべての復号依頼",
        ["Open a record for a fault"] = "障害対応のためにレコードを開く",
        ["Incident"] = "インシデント",
        ["Open for fault handling"] = "障害対応のために開く",
        ["When"] = "日時",
        ["Staff"] = "職員",
        ["Record"] = "レコード",
        ["No fault accesses."] = "障害対応アクセスはありません。",
        ["R7.2: the organization does not view content without consent, except where a fault of the service needs it. Every access states its reason and incident, is recorded, and is shown to the participant."] =
            "R7.2: 機構は同意なく通信内容を閲覧しません。ただしサービスの障害対応に必要な場合を除きます。各アクセスは理由とインシデントを記し、記録され、参加機関に示されます。",
        ["Content (fault access)"] = "通信内容 (障害対応)",
        ["Record {0} of {1}; this access is recorded and the participant is told (R7.2)."] = "{1} のレコード {0}。このアクセスは記録され、参加機関に通知されます (R7.2)。",
        ["No participants."] = "参加機関はありません。",
    };

    /// <summary>Whether the current request is in English.</summary>
    public static bool English => s_english.Value;

    /// <summary>The <c>lang</c> attribute of the current page.</summary>
    public static string Lang => English ? "en" : "ja";

    /// <summary>The current request's path and query, where the language switch returns to.</summary>
    public static string CurrentPath => s_path.Value ?? "/";

    /// <summary>Every English text the table translates (tests check the Japanese pages against it).</summary>
    public static IReadOnlyCollection<string> Known => s_ja.Keys;

    /// <summary>A text in the current language.</summary>
    public static string T(string english) => English || !s_ja.TryGetValue(english, out var ja) ? english : ja;

    /// <summary>A formatted text in the current language; the arguments are formatted invariantly.</summary>
    public static string T(string english, params object?[] args) => string.Format(CultureInfo.InvariantCulture, T(english), args);

    /// <summary>Reads the language of a request from its cookie, for the rest of the request.</summary>
    public static Task Use(HttpContext http, RequestDelegate next)
    {
        s_english.Value = http.Request.Cookies[Cookie] == "en";
        s_path.Value = http.Request.Path + http.Request.QueryString;
        return next(http);
    }

    /// <summary><c>GET /lang/{code}?back=/path</c>: remembers the choice for a year and goes back (only to a local path).</summary>
    public static IResult Switch(HttpContext http, string code, string? back)
    {
        if (code is not ("ja" or "en"))
        {
            return Results.NotFound();
        }

        http.Response.Cookies.Append(Cookie, code, new CookieOptions
        {
            HttpOnly = true,
            Secure = true,
            SameSite = SameSiteMode.Strict,
            IsEssential = true,
            MaxAge = TimeSpan.FromDays(365),
            Path = "/",
        });
        var local = back is { Length: > 0 } && back[0] == '/' && (back.Length == 1 || (back[1] != '/' && back[1] != '\\')) ? back : "/";
        return Results.Redirect(local);
    }
}
