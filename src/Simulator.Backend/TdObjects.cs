using System.Text.Json;

namespace TgFleet.Simulator.Backend;

/// <summary>
/// Writes TDLib's objects with every field td_api.tl marks as present (optional objects that are
/// null are omitted, as TDLib does). int64 fields are strings, int53 and int32 numbers.
/// </summary>
internal static class TdObjects
{
    public static void User(Utf8JsonWriter w, KnownUser user)
    {
        w.WriteStartObject();
        UserFields(w, user);
        w.WriteEndObject();
    }

    public static void UserFields(Utf8JsonWriter w, KnownUser user)
    {
        w.WriteString("@type", "user");
        w.WriteNumber("id", user.Id);
        w.WriteString("first_name", user.FirstName);
        w.WriteString("last_name", user.LastName);
        if (user.Username.Length > 0)
        {
            w.WriteStartObject("usernames");
            w.WriteString("@type", "usernames");
            w.WriteStartArray("active_usernames");
            w.WriteStringValue(user.Username);
            w.WriteEndArray();
            w.WriteStartArray("disabled_usernames");
            w.WriteEndArray();
            w.WriteString("editable_username", user.Username);
            w.WriteStartArray("collectible_usernames");
            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteString("phone_number", user.Phone);
        w.WriteStartObject("status");
        w.WriteString("@type", "userStatusRecently");
        w.WriteBoolean("by_my_privacy_settings", false);
        w.WriteEndObject();
        w.WriteNumber("accent_color_id", user.Id % 7);
        w.WriteString("background_custom_emoji_id", "0");
        w.WriteNumber("profile_accent_color_id", -1);
        w.WriteString("profile_background_custom_emoji_id", "0");
        w.WriteBoolean("is_contact", user.IsContact);
        w.WriteBoolean("is_mutual_contact", false);
        w.WriteBoolean("is_close_friend", false);
        w.WriteBoolean("is_premium", false);
        w.WriteBoolean("is_support", false);
        w.WriteBoolean("restricts_new_chats", false);
        w.WriteNumber("paid_message_star_count", 0);
        w.WriteBoolean("have_access", true);
        w.WriteStartObject("type");
        w.WriteString("@type", user.IsDeleted ? "userTypeDeleted" : "userTypeRegular");
        w.WriteEndObject();
        w.WriteString("language_code", string.Empty);
        w.WriteBoolean("added_to_attachment_menu", false);
    }

    public static void FormattedText(Utf8JsonWriter w, string text, string entitiesJson)
    {
        w.WriteStartObject();
        w.WriteString("@type", "formattedText");
        w.WriteString("text", text);
        w.WritePropertyName("entities");
        w.WriteRawValue(entitiesJson, skipInputValidation: true);
        w.WriteEndObject();
    }

    public static void MessageText(Utf8JsonWriter w, string text, string entitiesJson)
    {
        w.WriteStartObject();
        w.WriteString("@type", "messageText");
        w.WritePropertyName("text");
        FormattedText(w, text, entitiesJson);
        w.WriteEndObject();
    }

    public static void Error(Utf8JsonWriter w, int code, string message)
    {
        w.WriteStartObject();
        w.WriteString("@type", "error");
        w.WriteNumber("code", code);
        w.WriteString("message", message);
        w.WriteEndObject();
    }

    public static void Message(Utf8JsonWriter w, KnownMessage message)
    {
        w.WriteStartObject();
        MessageFields(w, message);
        w.WriteEndObject();
    }

    /// <summary>The fields of a message (for the response form, which carries @extra after them).</summary>
    public static void MessageFields(Utf8JsonWriter w, KnownMessage message)
    {
        w.WriteString("@type", "message");
        w.WriteNumber("id", message.Id);
        w.WriteStartObject("sender_id");
        w.WriteString("@type", "messageSenderUser");
        w.WriteNumber("user_id", message.SenderId);
        w.WriteEndObject();
        w.WriteNumber("chat_id", message.ChatId);
        if (message.SendingState is { } state)
        {
            w.WriteStartObject("sending_state");
            if (state.Code == 0)
            {
                w.WriteString("@type", "messageSendingStatePending");
                w.WriteNumber("sending_id", 0);
            }
            else
            {
                w.WriteString("@type", "messageSendingStateFailed");
                w.WritePropertyName("error");
                Error(w, state.Code, state.Message);
                w.WriteBoolean("can_retry", state.RetryAfter > 0 || state.Code == 429);
                w.WriteBoolean("need_another_sender", false);
                w.WriteBoolean("need_another_reply_quote", false);
                w.WriteBoolean("need_drop_reply", false);
                w.WriteNumber("required_paid_message_star_count", 0);
                w.WriteNumber("retry_after", state.RetryAfter);
            }

            w.WriteEndObject();
        }

        w.WriteBoolean("is_outgoing", message.IsOutgoing);
        w.WriteBoolean("is_pinned", false);
        w.WriteBoolean("is_from_offline", false);
        w.WriteBoolean("can_be_saved", true);
        w.WriteBoolean("has_timestamped_media", true);
        w.WriteBoolean("is_channel_post", false);
        w.WriteBoolean("is_paid_star_suggested_post", false);
        w.WriteBoolean("is_paid_ton_suggested_post", false);
        w.WriteBoolean("contains_unread_mention", false);
        w.WriteBoolean("contains_unread_poll_votes", false);
        w.WriteNumber("date", message.Date);
        w.WriteNumber("edit_date", 0);
        w.WriteStartArray("unread_reactions");
        w.WriteEndArray();
        w.WriteNumber("self_destruct_in", 0.0);
        w.WriteNumber("auto_delete_in", 0.0);
        w.WriteNumber("via_bot_user_id", 0);
        w.WriteNumber("sender_business_bot_user_id", 0);
        w.WriteNumber("sender_boost_count", 0);
        w.WriteString("sender_tag", string.Empty);
        w.WriteNumber("paid_message_star_count", 0);
        w.WriteString("author_signature", string.Empty);
        w.WriteString("media_album_id", "0");
        w.WriteString("effect_id", "0");
        w.WriteString("summary_language_code", string.Empty);
        w.WritePropertyName("content");
        MessageText(w, message.Text, message.EntitiesJson);
    }

    public static void ChatPositions(Utf8JsonWriter w, KnownChat chat)
    {
        w.WriteStartArray("positions");
        if (chat.LastMessage is not null)
        {
            w.WriteStartObject();
            w.WriteString("@type", "chatPosition");
            w.WriteStartObject("list");
            w.WriteString("@type", "chatListMain");
            w.WriteEndObject();
            w.WriteString("order", chat.Order.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteBoolean("is_pinned", false);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    public static void ChatFields(Utf8JsonWriter w, KnownChat chat, KnownUser user, bool withLastMessage)
    {
        w.WriteString("@type", "chat");
        w.WriteNumber("id", chat.Id);
        w.WriteStartObject("type");
        w.WriteString("@type", "chatTypePrivate");
        w.WriteNumber("user_id", user.Id);
        w.WriteEndObject();
        w.WriteString("title", (user.FirstName + " " + user.LastName).Trim());
        w.WriteNumber("accent_color_id", user.Id % 7);
        w.WriteString("background_custom_emoji_id", "0");
        w.WriteNumber("profile_accent_color_id", -1);
        w.WriteString("profile_background_custom_emoji_id", "0");
        w.WriteStartObject("permissions");
        w.WriteString("@type", "chatPermissions");
        foreach (var permission in Permissions)
        {
            w.WriteBoolean(permission, true);
        }

        w.WriteEndObject();
        if (withLastMessage && chat.LastMessage is not null)
        {
            w.WritePropertyName("last_message");
            Message(w, chat.LastMessage);
        }

        if (withLastMessage)
        {
            ChatPositions(w, chat);
        }
        else
        {
            w.WriteStartArray("positions");
            w.WriteEndArray();
        }

        w.WriteStartArray("chat_lists");
        if (withLastMessage && chat.LastMessage is not null)
        {
            w.WriteStartObject();
            w.WriteString("@type", "chatListMain");
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteBoolean("has_protected_content", false);
        w.WriteBoolean("is_translatable", false);
        w.WriteBoolean("is_marked_as_unread", false);
        w.WriteBoolean("view_as_topics", false);
        w.WriteBoolean("has_scheduled_messages", false);
        w.WriteBoolean("can_be_deleted_only_for_self", true);
        w.WriteBoolean("can_be_deleted_for_all_users", true);
        w.WriteBoolean("can_be_reported", false);
        w.WriteBoolean("default_disable_notification", false);
        w.WriteNumber("unread_count", withLastMessage ? chat.UnreadCount : 0);
        w.WriteNumber("last_read_inbox_message_id", chat.LastReadInbox);
        w.WriteNumber("last_read_outbox_message_id", chat.LastReadOutbox);
        w.WriteNumber("unread_mention_count", 0);
        w.WriteNumber("unread_reaction_count", 0);
        w.WriteNumber("unread_poll_vote_count", 0);
        w.WriteStartObject("notification_settings");
        w.WriteString("@type", "chatNotificationSettings");
        w.WriteBoolean("use_default_mute_for", true);
        w.WriteNumber("mute_for", 0);
        w.WriteBoolean("use_default_sound", true);
        w.WriteString("sound_id", "0");
        w.WriteBoolean("use_default_show_preview", true);
        w.WriteBoolean("show_preview", true);
        w.WriteBoolean("use_default_mute_stories", true);
        w.WriteBoolean("mute_stories", false);
        w.WriteBoolean("use_default_story_sound", true);
        w.WriteString("story_sound_id", "0");
        w.WriteBoolean("use_default_show_story_poster", true);
        w.WriteBoolean("show_story_poster", false);
        w.WriteBoolean("use_default_disable_pinned_message_notifications", true);
        w.WriteBoolean("disable_pinned_message_notifications", false);
        w.WriteBoolean("use_default_disable_mention_notifications", true);
        w.WriteBoolean("disable_mention_notifications", false);
        w.WriteEndObject();
        w.WriteStartObject("available_reactions");
        w.WriteString("@type", "chatAvailableReactionsAll");
        w.WriteNumber("max_reaction_count", 11);
        w.WriteEndObject();
        w.WriteNumber("message_auto_delete_time", 0);
        w.WriteStartObject("video_chat");
        w.WriteString("@type", "videoChat");
        w.WriteNumber("group_call_id", 0);
        w.WriteBoolean("has_participants", false);
        w.WriteEndObject();
        w.WriteNumber("reply_markup_message_id", 0);
        w.WriteString("client_data", string.Empty);
    }

    private static readonly string[] Permissions =
    [
        "can_send_basic_messages", "can_send_audios", "can_send_documents", "can_send_photos", "can_send_videos",
        "can_send_video_notes", "can_send_voice_notes", "can_send_polls", "can_send_other_messages", "can_add_link_previews",
        "can_react_to_messages", "can_edit_tag", "can_change_info", "can_invite_users", "can_pin_messages", "can_create_topics",
    ];
}
