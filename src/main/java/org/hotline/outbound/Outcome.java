package org.hotline.outbound;

/** How one try ended. */
public enum Outcome {
    /** Answered and a person responded (a key, or a call-back handed to the queue). */
    ANSWERED(true),
    BUSY(false),
    /** It rang until the ring timeout, or the far end hung up before answering. */
    NO_ANSWER(false),
    /** Answered, but not a key in two questions: an answering machine or voicemail, likely. Tried again. */
    SILENCE(false),
    /** Answered, then hung up before the flow ended. */
    HUNG_UP(true),
    /** The person pressed the key for no more calls. */
    OPTED_OUT(true),
    /** The call could not be placed (no Asterisk, congestion, the trunk refused it). */
    FAILED(false);

    private final boolean reached;

    Outcome(boolean reached) {
        this.reached = reached;
    }

    /** A person was reached: no further try. */
    public boolean reached() {
        return reached;
    }
}
